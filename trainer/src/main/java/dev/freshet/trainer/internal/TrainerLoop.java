package dev.freshet.trainer.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.TrainerException;
import dev.freshet.trainer.TrainerStats;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's single thread: reads the registry and commands from the beginning, adopts the newest version, then
 * learns from training examples and publishes versions. Only this thread touches the {@link LearningSession};
 * {@link #stats()} reads an immutable copy.
 */
public final class TrainerLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerLoop.class);
    private static final Duration TRAINING_POLL = TrainerStartup.POLL;
    private static final long CLOSE_WAIT_MS = 15_000;
    static final String STAGE = "learning thread";

    private final InstantSource clock;
    private final Liveness liveness;
    private final String modelName;
    private final TrainerKafka kafka;
    private final TransactionalPublisher publisher;
    private final TrainerStartup startup;
    private final boolean acksEnabled;
    private final boolean schemasEnabled;
    private CommandCatchUp catchUp;
    private Map<TopicPartition, Long> catchUpEnds = Map.of();
    private final LearningSession session;
    private final Thread thread;
    private volatile boolean running = true;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile TrainerStats stats;

    /**
     * Connects to Kafka and starts the loop thread.
     *
     * @param liveness told once if the loop stops for good on its own (not on {@link #close})
     * @throws TrainerException if the training-examples, models or commands topic does not exist or Kafka cannot be
     *     reached
     */
    public TrainerLoop(TrainerConfig config, InstantSource clock, Liveness liveness) {
        this(config, clock, liveness, UnaryOperator.identity());
    }

    /** @param producerSeam wraps the transactional producer, for tests that make Kafka's answers fail */
    TrainerLoop(TrainerConfig config, InstantSource clock, Liveness liveness,
                UnaryOperator<Producer<String, byte[]>> producerSeam) {
        this.clock = clock;
        this.liveness = liveness;
        this.modelName = config.getString(TrainerConfig.MODEL_NAME_CONFIG);
        this.session = new LearningSession(LearningSession.Settings.fromConfig(config, TrainerKafka.trainingTopic(config),
                config.getInt(TrainerConfig.RETRAIN_WINDOW_EXAMPLES_CONFIG)),
            config.getInt(TrainerConfig.REGISTRY_RETAINED_VERSIONS_CONFIG), clock.millis());
        this.stats = session.stats();
        TrainerKafka clients = null;
        try {
            clients = new TrainerKafka(config, modelName, producerSeam);
            // Fences any earlier incarnation of this trainer and aborts the transaction it left open.
            clients.producer().initTransactions();
            Set<String> topics = clients.existingTopics();
            this.schemasEnabled = topics.contains(clients.schemasTopic);
            this.acksEnabled = topics.contains(clients.acksTopic);
            assignPartitions(clients);
        } catch (RuntimeException e) {
            if (clients != null) {
                clients.close();
            }
            throw e instanceof TrainerException te ? te
                : new TrainerException("Trainer for model '" + modelName + "' could not connect to Kafka at "
                    + config.getString(TrainerConfig.BOOTSTRAP_SERVERS_CONFIG) + ": " + e.getMessage(), e);
        }
        this.kafka = clients;
        this.publisher = new TransactionalPublisher(kafka, modelName, acksEnabled, () -> running);
        this.startup = new TrainerStartup(kafka, session, () -> running);
        this.thread = new Thread(this::run, "freshet-trainer-" + modelName);
        thread.start();
    }

    private void assignPartitions(TrainerKafka clients) {
        if (schemasEnabled) {
            // One reader for both, so that every schema a checkpoint names is known when the catch-up ends.
            List<TopicPartition> both = new ArrayList<>(TrainerKafka.partitionsOf(clients.registry(),
                clients.modelsTopic));
            both.addAll(TrainerKafka.partitionsOf(clients.registry(), clients.schemasTopic));
            clients.registry().assign(both);
            clients.registry().seekToBeginning(both);
            session.publishPacked();
        } else {
            TrainerKafka.assignFromBeginning(clients.registry(), clients.modelsTopic);
            log.warn("Topic '{}' does not exist: the trainer of model '{}' publishes every version as a whole "
                + "Tribuo model, which takes seconds and exceeds Kafka's message limits beyond some 10k "
                + "features; create it (the launcher does) to publish the feature domains once per schema.",
                clients.schemasTopic, modelName);
        }
        TrainerKafka.assignFromBeginning(clients.commands(), clients.commandsTopic);
        TrainerKafka.assign(clients.training(), clients.trainingTopic);
        if (!acksEnabled) {
            log.warn("Topic '{}' does not exist: the trainer of model '{}' obeys commands but cannot acknowledge "
                + "them (freshet models retrain|reset|pause|resume then time out); create it (the launcher does).",
                clients.acksTopic, modelName);
        }
    }

    private void run() {
        try {
            catchUp();
            log.info("Trainer for model '{}' is learning from {} and publishing to {} (current version v{}).",
                modelName, kafka.trainingTopic, kafka.modelsTopic, session.stats().currentVersion());
            while (running) {
                pollRegistry(Duration.ZERO, true);
                // While paused, waiting on the commands is what paces the loop; examples wait in Kafka.
                pollCommands(session.paused() ? TRAINING_POLL : Duration.ZERO, true);
                if (!session.paused()) {
                    pollTraining();
                }
                if (session.publishDue(clock.millis())) {
                    publish(session.prepareVersion(clock.millis()), null);
                }
                stats = session.stats();
            }
        } catch (WakeupException e) {
            if (running) {
                stoppedForGood("it was woken up while running; restart the trainer");
            }
        } catch (TrainerException e) {
            if (running) {
                stoppedForGood(e.getMessage());
            } else {
                log.info("Trainer for model '{}' closed: {}", modelName, e.getMessage());
            }
        } catch (RuntimeException e) {
            if (running) {
                log.error("Trainer for model '{}' failed unexpectedly.", modelName, e);
                stoppedForGood("unexpected " + e + "; the registry and the committed offsets are consistent, "
                    + "restart the trainer to resume from the newest checkpoint");
            }
        } finally {
            stats = session.stats();
            kafka.close();
        }
    }

    /** Records why the loop ended on its own, once: health and the launcher's supervision read it. */
    private void stoppedForGood(String reason) {
        liveness.stopped(STAGE, "model '" + modelName + "': " + reason);
    }

    /**
     * Reads the registry and the commands to their ends (commands only bar), resumes from the newest checkpoint,
     * then adopts the newest version if someone else made it.
     */
    private void catchUp() {
        startup.readToEnd(kafka.registry(), () -> pollRegistry(TRAINING_POLL, false));
        // A command sent while the trainer starts lies beyond these ends: it is left to be read live (and
        // acknowledged) once the state is restored.
        catchUpEnds = kafka.commands().endOffsets(kafka.commands().assignment(), TrainerKafka.KAFKA_TIMEOUT);
        catchUp = new CommandCatchUp(acksEnabled ? startup.readAcknowledgements() : Map.of(), acksEnabled);
        startup.readToEnd(kafka.commands(), () -> pollCommands(TRAINING_POLL, false));
        catchUpEnds.forEach(kafka.commands()::seek);
        if (session.restoreCheckpoint()) {
            startup.refillRetrainWindow();
        }
        if (catchUp.lastAcknowledgedReset() != null) {
            session.resetAgainIfUnpublished(catchUp.lastAcknowledgedReset(), catchUp.lastResetAcknowledgedAtMs());
        }
        session.adoptNewestIfForeign();
        startup.positionTraining();
        // Sent while no trainer ran (or while this one started): carried out now, in order, and acknowledged.
        for (Command command : catchUp.deferred()) {
            apply(command, true);
        }
        if (session.paused()) {
            log.warn("Model '{}' is paused by command '{}': the trainer reads no training examples until a RESUME "
                + "command (freshet models resume {}).", modelName, session.pausedBy(), modelName);
        }
        stats = session.stats();
    }

    private void pollRegistry(Duration timeout, boolean adopt) {
        boolean any = false;
        for (ConsumerRecord<String, byte[]> record : kafka.registry().poll(timeout)) {
            if (record.value() == null) {
                if (record.topic().equals(kafka.modelsTopic)) {
                    RecordKeys.versionOf(record.key(), modelName).ifPresent(session::onVersionDeleted);
                }
                continue;
            }
            if (record.topic().equals(kafka.schemasTopic)) {
                try {
                    session.onSchema(ModelSchema.parseFrom(record.value()));
                } catch (InvalidProtocolBufferException e) {
                    log.warn("Ignored an unreadable model schema on {} partition {} offset {} (key '{}'): {}",
                        kafka.schemasTopic, record.partition(), record.offset(), record.key(), e.getMessage());
                }
                continue;
            }
            try {
                session.onModelVersion(ModelVersion.parseFrom(record.value()));
                any = true;
            } catch (InvalidProtocolBufferException e) {
                log.warn("Ignored an unreadable model version on {} partition {} offset {} (key '{}'): {}",
                    kafka.modelsTopic, record.partition(), record.offset(), record.key(), e.getMessage());
            }
        }
        if (any && adopt && running) {
            session.adoptNewestIfForeign();
        }
    }

    private void pollCommands(Duration timeout, boolean live) {
        for (ConsumerRecord<String, byte[]> record : kafka.commands().poll(timeout)) {
            if (record.value() == null || !live && record.offset()
                    >= catchUpEnds.getOrDefault(new TopicPartition(record.topic(), record.partition()), 0L)) {
                continue;
            }
            Command command;
            try {
                command = Command.parseFrom(record.value());
            } catch (InvalidProtocolBufferException e) {
                log.warn("Ignored an unreadable command on {} partition {} offset {}: {}", kafka.commandsTopic,
                    record.partition(), record.offset(), e.getMessage());
                continue;
            }
            if (!CommandRules.addressedTo(command, record.key(), modelName) || !live && !catchUp.applyNow(command)) {
                continue;
            }
            apply(command, live);
        }
    }

    private void apply(Command command, boolean live) {
        LearningSession.CommandResult result = session.onCommand(command, clock.millis(), live);
        if (result.version().isPresent()) {
            LearningSession.PendingVersion pending = result.version().get();
            if (!publish(pending, ack(command, result.outcome(), result.detail(), pending.version().getVersion()))) {
                publisher.acknowledge(ack(command, CommandAck.Outcome.FAILED, "the retrained version could not be "
                    + "published (see the trainer's log); the model is unchanged", 0));
            }
        } else if (result.acknowledge()) {
            publisher.acknowledge(ack(command, result.outcome(), result.detail(), 0));
        }
        if (live) {
            session.adoptNewestIfForeign();
        }
    }

    private void pollTraining() {
        for (ConsumerRecord<String, byte[]> record : kafka.training().poll(TRAINING_POLL)) {
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
                publish(session.prepareVersion(clock.millis()), null);
            }
        }
    }

    private CommandAck ack(Command command, CommandAck.Outcome outcome, String detail, long version) {
        return CommandAck.newBuilder()
            .setCommandId(command.getCommandId())
            .setModel(modelName)
            .setType(command.getType())
            .setOutcome(outcome)
            .setDetail(detail)
            .setAcknowledgedBy("trainer")
            .setAcknowledgedAtMs(clock.millis())
            .setModelVersion(version)
            .build();
    }

    /**
     * Publishes a version, with the acknowledgement of the command that asked for it (or null), and commits the
     * training offsets it covers, in one transaction; then the session takes it as its current version.
     *
     * @return false if the version could not be published (logged; the session's state is unchanged)
     */
    private boolean publish(LearningSession.PendingVersion pending, CommandAck ack) {
        ModelVersion mv = pending.version();
        if (!publisher.publish(mv, pending.schema(), ack, pending.stripped(), pending.expired())) {
            return false;
        }
        session.published(pending, clock.millis());
        if (mv.getOrigin() == ModelVersion.Origin.RETRAIN) {
            log.info("Published model '{}' v{} (parent v{}) retrained from {} examples; note: {}", mv.getModel(),
                mv.getVersion(), mv.getParentVersion(), mv.getExamplesSeen(), mv.getNote());
        } else {
            Double mae = mv.getMetricsMap().get(RegressionMetrics.MAE_SINCE_PARENT);
            log.info("Published model '{}' v{} (parent v{}) after {} examples; prequential {} {} over them.",
                mv.getModel(), mv.getVersion(), mv.getParentVersion(), pending.examplesSinceParent(),
                mae != null ? "MAE" : "accuracy",
                String.format("%.3f", mae != null ? mae : pending.accuracySinceParent()));
        }
        if (ack != null) {
            log.info("Command '{}' ({}) for model '{}': {}, {}.", ack.getCommandId(), ack.getType(), modelName,
                ack.getOutcome(), ack.getDetail());
        }
        stats = session.stats();
        return true;
    }

    /** The latest statistics; never null. Thread-safe. */
    public TrainerStats stats() {
        return stats;
    }

    /** Stops the loop, waiting a bounded time for it to finish and close its Kafka clients. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        running = false;
        kafka.wakeup();
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
}
