package dev.freshet.monitor.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.monitor.MonitorReport;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the monitor: one thread polls the topics, feeds the engine and publishes the commands it issues.
 * Used through {@link dev.freshet.monitor.Monitor}; not part of the public API.
 *
 * <p>The registry topics (models, commands) are read in full from the beginning on every start, without a
 * consumer group, so lineage and barring are complete; training examples and predictions are not read until
 * that has caught up, so a restarted monitor never issues a rollback it issued before. Training examples and
 * predictions are read in the consumer group {@code <prefix>monitor}, from the committed offsets (the earliest
 * on first start).
 *
 * <p>A command that cannot be published (the producer has already retried it for its {@code delivery.timeout.ms})
 * stops the monitoring thread and is reported to the {@link Liveness}: carrying on would leave a rollback in the
 * report that serving never obeys. Before its clients close, the data reader goes back to its committed offsets,
 * so the records that led to the lost command are read again by the next start instead of being committed past.
 */
public final class MonitorRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MonitorRuntime.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CREDENTIALS_CHECK_TIMEOUT = Duration.ofSeconds(10);
    private static final long MISSING_TOPIC_WARN_INTERVAL_MS = 10_000;
    static final String STAGE = "monitoring thread";

    private final MonitorEngine engine;
    private final String model;
    private final String modelsTopic;
    private final String commandsTopic;
    private final String examplesTopic;
    private final String predictionsTopic;
    private final KafkaConsumer<byte[], byte[]> registryConsumer;
    private final KafkaConsumer<byte[], byte[]> dataConsumer;
    private final KafkaProducer<String, byte[]> producer;
    private final Thread thread;
    private final Liveness liveness;
    private final String identity;
    private final int httpPortWanted;
    private final MonitorConfig config;
    private ReportHttpServer http;
    private volatile boolean running = true;

    private Map<TopicPartition, Long> registryEnd;
    private boolean registryCaughtUp;
    private long lastMissingTopicWarnMs;

    /** Checks what {@link #start} would read before it connects: the settings, the policy file, the pinned range. */
    public static void validate(MonitorConfig config) {
        MonitorSettings.from(config, true);
        PinnedRange.parse(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG,
            config.getString(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG));
    }

    private MonitorRuntime(MonitorConfig config, InstantSource clock, Liveness liveness) {
        this.liveness = liveness;
        MonitorSettings settings = MonitorSettings.from(config, true);
        this.engine = new MonitorEngine(settings, clock);
        this.model = settings.model();
        TopicLayout topics = config.topics();
        this.modelsTopic = topics.name(Topic.MODELS);
        this.commandsTopic = topics.name(Topic.COMMANDS);
        this.examplesTopic = topics.name(Topic.TRAINING_EXAMPLES);
        this.predictionsTopic = topics.name(Topic.PREDICTIONS);
        KafkaClients clients = KafkaClients.from(config.originals());
        // The clients below first talk to Kafka on the monitoring thread; a wrong password must stop the start.
        clients.checkCredentials(CREDENTIALS_CHECK_TIMEOUT);
        this.identity = clients.identity();
        List<AutoCloseable> created = new ArrayList<>();
        try {
            this.registryConsumer = remember(created, clients.committedReader(topics.clientId("monitor-registry"),
                Map.of(), new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            // Offsets are committed on the next poll, after this thread has processed the records it returned.
            this.dataConsumer = remember(created, clients.groupReader(topics.clientId("monitor"), true, Map.of(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            this.producer = remember(created, clients.idempotentProducer(topics.clientId("monitor-commands"),
                Map.of(), new StringSerializer(), new ByteArraySerializer()));
        } catch (RuntimeException e) {
            for (AutoCloseable c : created) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        this.thread = new Thread(this::run, "freshet-monitor-" + model);
        this.httpPortWanted = config.getInt(MonitorConfig.HTTP_PORT_CONFIG);
        this.config = config;
    }

    private static <T extends AutoCloseable> T remember(List<AutoCloseable> created, T client) {
        created.add(client);
        return client;
    }

    /**
     * Starts monitoring; the caller owns the result and must close it.
     *
     * @param liveness told once if the monitoring thread stops on its own (never on {@link #close})
     */
    public static MonitorRuntime start(MonitorConfig config, InstantSource clock, Liveness liveness) {
        MonitorRuntime runtime = new MonitorRuntime(config, clock, liveness);
        try {
            PinnedReferenceLoader.pinIfConfigured(config, runtime.engine, runtime.model);
        } catch (RuntimeException e) {
            runtime.closeClients();
            throw e;
        }
        if (runtime.httpPortWanted >= 0) {
            try {
                runtime.http = ReportHttpServer.start(runtime.config, runtime::report);
            } catch (RuntimeException e) {
                runtime.closeClients();
                throw e;
            }
            log.info("Serving the live report of model '{}' at {}/ (JSON at /report.json, Prometheus metrics at "
                + "/metrics; {}).", runtime.model, runtime.http.url(), runtime.http.describe());
        }
        runtime.thread.start();
        log.info("Monitoring model '{}': reading {}, {}, {} and {}; writing commands to {}.", runtime.model,
            runtime.examplesTopic, runtime.predictionsTopic, runtime.modelsTopic, runtime.commandsTopic,
            runtime.commandsTopic);
        return runtime;
    }

    /** A snapshot of what has been observed so far. Thread-safe. */
    public MonitorReport report() {
        return engine.report();
    }

    /** The port of the live report over HTTP, or -1 when it is disabled. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** Stops polling, waits up to ten seconds for the thread to close its clients. Idempotent. */
    @Override
    public void close() {
        running = false;
        if (http != null) {
            http.close();
        }
        registryConsumer.wakeup();
        dataConsumer.wakeup();
        try {
            thread.join(CLOSE_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("The monitor thread for model '{}' did not stop within {}; abandoning it.", model, CLOSE_TIMEOUT);
        } else {
            log.info("Stopped monitoring model '{}'.", model);
        }
    }

    private void run() {
        try {
            while (running) {
                if (registryEnd == null && !assignRegistry()) {
                    pause();
                    continue;
                }
                ConsumerRecords<byte[], byte[]> registry =
                    registryConsumer.poll(Duration.ofMillis(registryCaughtUp ? 10 : 200));
                ConsumerRecords<byte[], byte[]> data =
                    registryCaughtUp ? dataConsumer.poll(Duration.ofMillis(100)) : ConsumerRecords.empty();
                List<Command> commands;
                // One lock over the batch and the policies, so that a report never shows records whose
                // consequences (a rollback, a retrain) have not been decided yet.
                synchronized (engine) {
                    registry.forEach(this::feedRegistry);
                    data.forEach(this::feedData);
                    commands = engine.evaluate();
                }
                publish(commands);
                checkRegistryCaughtUp();
            }
        } catch (CommandNotPublishedException e) {
            rewindData();
            liveness.stopped(STAGE, e.getMessage());
        } catch (WakeupException e) {
            if (running) {
                liveness.stopped(STAGE, "model '" + model + "': it was woken up while running; restart the monitor");
            }
        } catch (RuntimeException e) {
            if (running) {
                // A missing ACL is the operator's to grant, not a fault: one line, no stack trace.
                Optional<KafkaAccessException> refusal = KafkaAccessException.find(e, identity, null);
                if (refusal.isPresent()) {
                    liveness.stopped(STAGE, "model '" + model + "': " + refusal.get().getMessage());
                } else {
                    log.error("The monitor for model '{}' failed unexpectedly; its report is frozen.", model, e);
                    liveness.stopped(STAGE, "model '" + model + "': unexpected " + e + "; restart the monitor");
                }
            }
        } finally {
            closeClients();
        }
    }

    private void feedRegistry(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return;
        }
        try {
            if (r.topic().equals(modelsTopic)) {
                engine.onModelVersion(ModelVersion.parseFrom(r.value()));
            } else {
                engine.onCommand(Command.parseFrom(r.value()));
            }
        } catch (InvalidProtocolBufferException e) {
            engine.onBadRecord(r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    private void feedData(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            engine.onBadRecord(r.topic(), r.partition(), r.offset(), "no value");
            return;
        }
        try {
            if (r.topic().equals(examplesTopic)) {
                engine.onTrainingExample(r.partition(), r.offset(), TrainingExample.parseFrom(r.value()));
            } else {
                engine.onPrediction(PredictionLogEntry.parseFrom(r.value()));
            }
        } catch (InvalidProtocolBufferException e) {
            engine.onBadRecord(r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    private void checkRegistryCaughtUp() {
        if (registryCaughtUp) {
            return;
        }
        registryCaughtUp = registryEnd.entrySet().stream()
            .allMatch(e -> registryConsumer.position(e.getKey()) >= e.getValue());
        if (registryCaughtUp) {
            log.info("Read the registry of model '{}' up to its end; now reading training examples and "
                + "predictions.", model);
            dataConsumer.subscribe(List.of(examplesTopic, predictionsTopic));
        }
    }

    /** Assigns every partition of the registry topics, from the beginning; false while a topic is missing. */
    private boolean assignRegistry() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(modelsTopic, commandsTopic)) {
            List<PartitionInfo> infos;
            try {
                infos = registryConsumer.partitionsFor(topic, Duration.ofSeconds(1));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                infos = List.of();
            }
            if (infos == null || infos.isEmpty()) {
                long now = System.currentTimeMillis();
                if (now - lastMissingTopicWarnMs >= MISSING_TOPIC_WARN_INTERVAL_MS) {
                    lastMissingTopicWarnMs = now;
                    log.warn("Topic {} does not exist yet; the monitor for model '{}' waits for it (the launcher "
                        + "creates the topics).", topic, model);
                }
                return false;
            }
            infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        registryConsumer.assign(partitions);
        registryConsumer.seekToBeginning(partitions);
        registryEnd = registryConsumer.endOffsets(partitions);
        return true;
    }

    private void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Sends the commands and waits for each to be acknowledged by the cluster.
     *
     * @throws CommandNotPublishedException naming the first command that could not be published
     */
    private void publish(List<Command> commands) {
        if (commands.isEmpty()) {
            return;
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>(commands.size());
        for (Command c : commands) {
            sends.add(producer.send(new ProducerRecord<>(commandsTopic, c.getModel(), c.toByteArray())));
        }
        producer.flush();
        for (int i = 0; i < commands.size(); i++) {
            Command c = commands.get(i);
            try {
                sends.get(i).get();
            } catch (ExecutionException e) {
                throw new CommandNotPublishedException(String.format("model '%s': could not publish %s command %s "
                    + "to %s: %s. It is in the report but serving and the trainer never got it; fix the cause and "
                    + "restart the monitor", c.getModel(), c.getType(), c.getCommandId(), commandsTopic,
                    e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandNotPublishedException(String.format("model '%s': interrupted while publishing %s "
                    + "command %s to %s; restart the monitor", c.getModel(), c.getType(), c.getCommandId(),
                    commandsTopic));
            }
        }
    }

    // The data reader commits automatically, on close too: without this the records behind a lost command would
    // be committed past, and the next start would never see them.
    private void rewindData() {
        try {
            Set<TopicPartition> assigned = dataConsumer.assignment();
            Map<TopicPartition, OffsetAndMetadata> committed = dataConsumer.committed(assigned, CLOSE_TIMEOUT);
            for (TopicPartition tp : assigned) {
                OffsetAndMetadata offset = committed.get(tp);
                if (offset == null) {
                    dataConsumer.seekToBeginning(List.of(tp));
                } else {
                    dataConsumer.seek(tp, offset.offset());
                }
            }
        } catch (KafkaException e) {
            log.warn("Could not move the monitor of model '{}' back to its committed offsets ({}); the next start "
                + "may not read again the records behind the command it could not publish.", model, e.toString());
        }
    }

    /** A command the cluster refused or never acknowledged; ends the monitoring thread. */
    private static final class CommandNotPublishedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommandNotPublishedException(String message) {
            super(message);
        }
    }

    private void closeClients() {
        try {
            producer.close(CLOSE_TIMEOUT);
        } finally {
            try {
                dataConsumer.close(CLOSE_TIMEOUT);
            } finally {
                registryConsumer.close(CLOSE_TIMEOUT);
            }
        }
    }
}
