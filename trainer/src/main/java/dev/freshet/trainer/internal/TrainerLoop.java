package dev.freshet.trainer.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.TrainerException;
import dev.freshet.trainer.TrainerStats;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's single thread: reads the registry and commands from the beginning, adopts the newest version, then
 * learns from training examples and publishes versions. Only this thread touches the {@link LearningSession};
 * {@link #stats()} reads an immutable copy.
 */
public final class TrainerLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerLoop.class);
    private static final Duration TRAINING_POLL = Duration.ofMillis(100);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    private static final long CLOSE_WAIT_MS = 15_000;

    private final InstantSource clock;
    private final String modelName;
    private final String trainingTopic;
    private final String modelsTopic;
    private final String commandsTopic;
    private final LearningSession session;
    private final KafkaConsumer<String, byte[]> training;
    private final KafkaConsumer<String, byte[]> registry;
    private final KafkaConsumer<String, byte[]> commands;
    private final KafkaProducer<String, byte[]> producer;
    private final Thread thread;
    private volatile boolean running = true;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile TrainerStats stats;
    private volatile Throwable failure;

    /**
     * Connects to Kafka and starts the loop thread.
     *
     * @throws TrainerException if the models or commands topic does not exist or Kafka cannot be reached
     */
    public TrainerLoop(TrainerConfig config, InstantSource clock) {
        this.clock = clock;
        String prefix = config.getString(TrainerConfig.TOPICS_PREFIX_CONFIG);
        this.modelName = config.getString(TrainerConfig.MODEL_NAME_CONFIG);
        this.trainingTopic = prefix + "training-examples";
        this.modelsTopic = prefix + "models";
        this.commandsTopic = prefix + "commands";
        this.session = new LearningSession(new LearningSession.Settings(modelName,
            config.getList(TrainerConfig.LABELS_CONFIG),
            config.getDouble(TrainerConfig.LEARNING_RATE_CONFIG),
            config.getDouble(TrainerConfig.L2_CONFIG),
            config.getInt(TrainerConfig.PUBLISH_EVERY_EXAMPLES_CONFIG),
            config.getLong(TrainerConfig.PUBLISH_INTERVAL_MS_CONFIG),
            config.getInt(TrainerConfig.RETRAIN_WINDOW_EXAMPLES_CONFIG),
            config.getInt(TrainerConfig.RETRAIN_EPOCHS_CONFIG),
            trainingTopic), clock.millis());
        this.stats = session.stats();
        String bootstrap = config.getString(TrainerConfig.BOOTSTRAP_SERVERS_CONFIG);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            this.training = open(opened, new KafkaConsumer<>(trainingConsumerProps(bootstrap, prefix + "trainer"),
                new StringDeserializer(), new ByteArrayDeserializer()));
            this.registry = open(opened, new KafkaConsumer<>(readerProps(bootstrap), new StringDeserializer(),
                new ByteArrayDeserializer()));
            this.commands = open(opened, new KafkaConsumer<>(readerProps(bootstrap), new StringDeserializer(),
                new ByteArrayDeserializer()));
            this.producer = open(opened, new KafkaProducer<>(producerProps(bootstrap), new StringSerializer(),
                new ByteArraySerializer()));
            assignFromBeginning(registry, modelsTopic);
            assignFromBeginning(commands, commandsTopic);
            training.subscribe(Set.of(trainingTopic));
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e instanceof TrainerException te ? te
                : new TrainerException("Trainer for model '" + modelName + "' could not connect to Kafka at "
                    + bootstrap + ": " + e.getMessage(), e);
        }
        this.thread = new Thread(this::run, "freshet-trainer-" + modelName);
        thread.start();
    }

    private static <T extends AutoCloseable> T open(List<AutoCloseable> opened, T resource) {
        opened.add(resource);
        return resource;
    }

    private static Map<String, Object> trainingConsumerProps(String bootstrap, String groupId) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", groupId);
        props.put("enable.auto.commit", false);
        props.put("auto.offset.reset", "earliest");
        props.put("isolation.level", "read_committed");
        props.put("max.poll.records", 1000);
        return props;
    }

    private static Map<String, Object> readerProps(String bootstrap) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.auto.commit", false);
        props.put("auto.offset.reset", "earliest");
        props.put("isolation.level", "read_committed");
        return props;
    }

    private static Map<String, Object> producerProps(String bootstrap) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("enable.idempotence", true);
        props.put("linger.ms", 0);
        // A serialized model can exceed the default 1 MB request size.
        props.put("max.request.size", 16 * 1024 * 1024);
        return props;
    }

    private void assignFromBeginning(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, KAFKA_TIMEOUT);
        if (partitions == null || partitions.isEmpty()) {
            throw new TrainerException("Topic '" + topic + "' does not exist; create it (the launcher does) "
                + "or check topics.prefix.");
        }
        List<TopicPartition> assigned = partitions.stream()
            .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
    }

    private void run() {
        try {
            catchUp();
            log.info("Trainer for model '{}' is learning from {} and publishing to {} (current version v{}).",
                modelName, trainingTopic, modelsTopic, session.stats().currentVersion());
            while (running) {
                pollRegistry(Duration.ZERO);
                pollCommands(Duration.ZERO, true);
                pollTraining();
                if (session.publishDue(clock.millis())) {
                    publish(session.prepareVersion(clock.millis()));
                }
                stats = session.stats();
            }
        } catch (WakeupException e) {
            if (running) {
                failure = e;
                log.error("Trainer for model '{}' stopped unexpectedly: woken up while running.", modelName);
            }
        } catch (RuntimeException e) {
            failure = e;
            log.error("Trainer for model '{}' stopped: {}", modelName, e.toString(), e);
        } finally {
            stats = session.stats();
            closeAll(List.of(training, registry, commands, producer));
        }
    }

    /** Reads the registry and the commands to their ends (commands only bar), then adopts the newest version. */
    private void catchUp() {
        readToEnd(registry, () -> pollRegistry(TRAINING_POLL));
        readToEnd(commands, () -> pollCommands(TRAINING_POLL, false));
        session.adoptNewestIfForeign();
        stats = session.stats();
    }

    private void readToEnd(KafkaConsumer<String, byte[]> consumer, Runnable poll) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), KAFKA_TIMEOUT);
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        while (running && !caughtUp(consumer, ends)) {
            if (System.nanoTime() > deadline) {
                throw new TrainerException("Could not read " + ends.keySet() + " to its end within "
                    + CATCH_UP_TIMEOUT + "; check the Kafka cluster.");
            }
            poll.run();
        }
    }

    private static boolean caughtUp(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            if (consumer.position(end.getKey(), KAFKA_TIMEOUT) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void pollRegistry(Duration timeout) {
        boolean any = false;
        for (ConsumerRecord<String, byte[]> record : registry.poll(timeout)) {
            if (record.value() == null) {
                continue;
            }
            try {
                session.onModelVersion(ModelVersion.parseFrom(record.value()));
                any = true;
            } catch (InvalidProtocolBufferException e) {
                log.warn("Ignored an unreadable model version on {} partition {} offset {} (key '{}'): {}",
                    modelsTopic, record.partition(), record.offset(), record.key(), e.getMessage());
            }
        }
        if (any && running) {
            session.adoptNewestIfForeign();
        }
    }

    private void pollCommands(Duration timeout, boolean live) {
        for (ConsumerRecord<String, byte[]> record : commands.poll(timeout)) {
            if (record.value() == null) {
                continue;
            }
            Command command;
            try {
                command = Command.parseFrom(record.value());
            } catch (InvalidProtocolBufferException e) {
                log.warn("Ignored an unreadable command on {} partition {} offset {}: {}", commandsTopic,
                    record.partition(), record.offset(), e.getMessage());
                continue;
            }
            String target = command.getModel().isEmpty() ? record.key() : command.getModel();
            if (!modelName.equals(target)) {
                continue;
            }
            Optional<LearningSession.PendingVersion> retrained = session.onCommand(command, clock.millis(), live);
            retrained.ifPresent(this::publish);
            if (live) {
                session.adoptNewestIfForeign();
            }
        }
    }

    private void pollTraining() {
        for (ConsumerRecord<String, byte[]> record : training.poll(TRAINING_POLL)) {
            if (record.value() == null) {
                session.malformed(record.partition(), record.offset(), "the record has no value");
                continue;
            }
            try {
                session.learn(TrainingExample.parseFrom(record.value()), record.partition(), record.offset());
            } catch (InvalidProtocolBufferException e) {
                session.malformed(record.partition(), record.offset(), "not a TrainingExample: " + e.getMessage());
            }
            if (session.publishDue(clock.millis())) {
                publish(session.prepareVersion(clock.millis()));
            }
        }
    }

    private void publish(LearningSession.PendingVersion pending) {
        ModelVersion mv = pending.version();
        String key = mv.getModel() + "/" + mv.getVersion();
        try {
            producer.send(new ProducerRecord<>(modelsTopic, key, mv.toByteArray()))
                .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainerException("Interrupted while publishing model '" + key + "'.", e);
        } catch (ExecutionException | TimeoutException e) {
            log.error("Could not publish model '{}' v{} to {}: {}; will try again with the next version.",
                mv.getModel(), mv.getVersion(), modelsTopic, String.valueOf(e.getCause() == null ? e : e.getCause()));
            return;
        }
        session.published(pending, clock.millis());
        if (mv.getOrigin() == ModelVersion.Origin.RETRAIN) {
            log.info("Published model '{}' v{} (parent v{}) retrained from {} examples; note: {}", mv.getModel(),
                mv.getVersion(), mv.getParentVersion(), mv.getExamplesSeen(), mv.getNote());
        } else {
            log.info("Published model '{}' v{} (parent v{}) after {} examples; prequential accuracy {} over them.",
                mv.getModel(), mv.getVersion(), mv.getParentVersion(), pending.examplesSinceParent(),
                String.format("%.3f", pending.accuracySinceParent()));
        }
        commitOffsets(mv);
        stats = session.stats();
    }

    private void commitOffsets(ModelVersion mv) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = training.assignment();
        for (Map.Entry<Integer, Long> e : mv.getInputOffsetsMap().entrySet()) {
            TopicPartition tp = new TopicPartition(trainingTopic, e.getKey());
            if (assigned.contains(tp)) {
                offsets.put(tp, new OffsetAndMetadata(e.getValue(), "model version " + mv.getVersion()));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            training.commitSync(offsets, KAFKA_TIMEOUT);
        } catch (KafkaException e) {
            // Not fatal: the examples are relearned after a restart, which an online learner tolerates.
            log.warn("Could not commit training offsets {} for model '{}' v{}: {}", offsets, mv.getModel(),
                mv.getVersion(), e.getMessage());
        }
    }

    /** The latest statistics; never null. Thread-safe. */
    public TrainerStats stats() {
        return stats;
    }

    /** Why the loop stopped on its own, or null while it runs (or after a normal close). */
    public Throwable failure() {
        return failure;
    }

    /** Stops the loop, waiting a bounded time for it to finish and close its Kafka clients. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        running = false;
        training.wakeup();
        registry.wakeup();
        commands.wakeup();
        try {
            thread.join(CLOSE_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("Trainer for model '{}' did not stop within {} ms.", modelName, CLOSE_WAIT_MS);
        } else {
            log.info("Trainer for model '{}' stopped after publishing {} versions.", modelName,
                stats.versionsPublished());
        }
    }

    private static void closeAll(List<? extends AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                if (resource instanceof KafkaConsumer<?, ?> consumer) {
                    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
                } else if (resource instanceof KafkaProducer<?, ?> producer) {
                    producer.close(Duration.ofSeconds(5));
                } else {
                    resource.close();
                }
            } catch (Exception e) {
                log.warn("Could not close a Kafka client cleanly: {}", e.getMessage());
            }
        }
    }
}
