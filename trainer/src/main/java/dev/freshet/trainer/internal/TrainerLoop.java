package dev.freshet.trainer.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelSchema;
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
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
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
    /** The largest version (or schema) the trainer sends: 64 MB, some 700k features with 2 labels and AdaGrad. */
    private static final int MODEL_MESSAGE_MAX_BYTES = 64 * 1024 * 1024;
    /** Commands whose effect is learning (not barring) and that the trainer acknowledges when it carries them out. */
    private static final Set<Command.Type> ACKNOWLEDGED_TYPES =
        Set.of(Command.Type.RETRAIN, Command.Type.RESET, Command.Type.PAUSE, Command.Type.RESUME);

    private final InstantSource clock;
    private final String bootstrap;
    private final String modelName;
    private final String trainingTopic;
    private final String modelsTopic;
    private final String commandsTopic;
    private final String acksTopic;
    private final String schemasTopic;
    private boolean acksEnabled;
    private boolean schemasEnabled;
    private Map<String, CommandAck> acknowledgedAtStart = Map.of();
    private final List<Command> deferred = new ArrayList<>();
    private Map.Entry<Command, Long> lastAcknowledgedReset;
    private Map<TopicPartition, Long> catchUpEnds = Map.of();
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
     * @throws TrainerException if the training-examples, models or commands topic does not exist or Kafka cannot be
     *     reached
     */
    public TrainerLoop(TrainerConfig config, InstantSource clock) {
        this.clock = clock;
        String prefix = config.getString(TrainerConfig.TOPICS_PREFIX_CONFIG);
        this.modelName = config.getString(TrainerConfig.MODEL_NAME_CONFIG);
        this.trainingTopic = prefix + "training-examples";
        this.modelsTopic = prefix + "models";
        this.commandsTopic = prefix + "commands";
        this.acksTopic = prefix + "command-acks";
        this.schemasTopic = prefix + "model-schemas";
        this.session = new LearningSession(new LearningSession.Settings(modelName,
            config.regression() ? LearningSession.Settings.REGRESSION_OUTPUT
                : config.getList(TrainerConfig.LABELS_CONFIG),
            Objective.fromConfig(config.objective()),
            Optimiser.Settings.fromConfig(config),
            config.getDouble(TrainerConfig.L2_CONFIG),
            config.getInt(TrainerConfig.PUBLISH_EVERY_EXAMPLES_CONFIG),
            config.getLong(TrainerConfig.PUBLISH_INTERVAL_MS_CONFIG),
            config.getInt(TrainerConfig.RETRAIN_WINDOW_EXAMPLES_CONFIG),
            config.getInt(TrainerConfig.RETRAIN_EPOCHS_CONFIG),
            trainingTopic, config.spec().orElse(null),
            config.getDouble(TrainerConfig.HUBER_DELTA_CONFIG)), clock.millis());
        this.stats = session.stats();
        this.bootstrap = config.getString(TrainerConfig.BOOTSTRAP_SERVERS_CONFIG);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            this.training = open(opened, new KafkaConsumer<>(trainingConsumerProps(bootstrap, prefix + "trainer"),
                new StringDeserializer(), new ByteArrayDeserializer()));
            this.registry = open(opened, new KafkaConsumer<>(readerProps(bootstrap), new StringDeserializer(),
                new ByteArrayDeserializer()));
            this.commands = open(opened, new KafkaConsumer<>(readerProps(bootstrap), new StringDeserializer(),
                new ByteArrayDeserializer()));
            this.producer = open(opened, new KafkaProducer<>(
                producerProps(bootstrap, prefix + "trainer-" + modelName), new StringSerializer(),
                new ByteArraySerializer()));
            // Fences any earlier incarnation of this trainer and aborts the transaction it left open.
            producer.initTransactions();
            Set<String> topics = commands.listTopics(KAFKA_TIMEOUT).keySet();
            this.schemasEnabled = topics.contains(schemasTopic);
            if (schemasEnabled) {
                // One reader for both, so that every schema a checkpoint names is known when the catch-up ends.
                List<TopicPartition> both = new ArrayList<>(partitionsOf(registry, modelsTopic));
                both.addAll(partitionsOf(registry, schemasTopic));
                registry.assign(both);
                registry.seekToBeginning(both);
                session.publishPacked();
            } else {
                assignFromBeginning(registry, modelsTopic);
                log.warn("Topic '{}' does not exist: the trainer of model '{}' publishes every version as a whole "
                    + "Tribuo model, which takes seconds and exceeds Kafka's message limits beyond some 10k "
                    + "features; create it (the launcher does) to publish the feature domains once per schema.",
                    schemasTopic, modelName);
            }
            assignFromBeginning(commands, commandsTopic);
            assign(training, trainingTopic);
            this.acksEnabled = topics.contains(acksTopic);
            if (!acksEnabled) {
                log.warn("Topic '{}' does not exist: the trainer of model '{}' obeys commands but cannot acknowledge "
                    + "them (freshet models retrain|reset|pause|resume then time out); create it (the launcher does).",
                    acksTopic, modelName);
            }
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

    private static Map<String, Object> producerProps(String bootstrap, String transactionalId) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("enable.idempotence", true);
        props.put("transactional.id", transactionalId);
        // A trainer killed mid-publish leaves its transaction open, which holds back every read_committed reader
        // of the models topic until it times out (or the trainer restarts); publishing takes milliseconds.
        props.put("transaction.timeout.ms", 10_000);
        props.put("linger.ms", 0);
        // A version carries its weights and checkpoint (some 90 bytes per feature with 2 labels and AdaGrad: 9 MB at
        // 100k features), beyond the default 1 MB request size; the launcher raises the topics' max.message.bytes
        // to the same MODEL_MESSAGE_MAX_BYTES.
        props.put("max.request.size", MODEL_MESSAGE_MAX_BYTES);
        return props;
    }

    private void assignFromBeginning(KafkaConsumer<String, byte[]> consumer, String topic) {
        consumer.seekToBeginning(assign(consumer, topic));
    }

    private List<TopicPartition> assign(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<TopicPartition> assigned = partitionsOf(consumer, topic);
        consumer.assign(assigned);
        return assigned;
    }

    private List<TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, KAFKA_TIMEOUT);
        if (partitions == null || partitions.isEmpty()) {
            throw new TrainerException("Topic '" + topic + "' does not exist; create it (the launcher does) "
                + "or check topics.prefix.");
        }
        return partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    private void run() {
        try {
            catchUp();
            log.info("Trainer for model '{}' is learning from {} and publishing to {} (current version v{}).",
                modelName, trainingTopic, modelsTopic, session.stats().currentVersion());
            while (running) {
                pollRegistry(Duration.ZERO, true);
                // While paused, waiting on the commands is what paces the loop; examples wait in Kafka.
                pollCommands(session.paused() ? TRAINING_POLL : Duration.ZERO, true);
                if (!session.paused()) {
                    pollTraining();
                }
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

    /**
     * Reads the registry and the commands to their ends (commands only bar), resumes from the newest checkpoint,
     * then adopts the newest version if someone else made it.
     */
    private void catchUp() {
        readToEnd(registry, () -> pollRegistry(TRAINING_POLL, false));
        // A command sent while the trainer starts lies beyond these ends: it is left to be read live (and
        // acknowledged) once the state is restored.
        catchUpEnds = commands.endOffsets(commands.assignment(), KAFKA_TIMEOUT);
        acknowledgedAtStart = readAcknowledgements();
        readToEnd(commands, () -> pollCommands(TRAINING_POLL, false));
        catchUpEnds.forEach(commands::seek);
        if (session.restoreCheckpoint()) {
            refillRetrainWindow();
        }
        if (lastAcknowledgedReset != null) {
            session.resetAgainIfUnpublished(lastAcknowledgedReset.getKey(), lastAcknowledgedReset.getValue());
        }
        session.adoptNewestIfForeign();
        positionTraining();
        // Sent while no trainer ran (or while this one started): carried out now, in order, and acknowledged.
        for (Command command : deferred) {
            apply(command, true);
        }
        deferred.clear();
        if (session.paused()) {
            log.warn("Model '{}' is paused by command '{}': the trainer reads no training examples until a RESUME "
                + "command (freshet models resume {}).", modelName, session.pausedBy(), modelName);
        }
        stats = session.stats();
    }

    /**
     * Positions the training consumer where the learning state stands: the checkpoint's offsets (which the same
     * transaction also committed for the group), else the group's committed offsets (a registry from before
     * checkpoints), else the beginning. Partitions are assigned, not subscribed: a restarted trainer then need not
     * wait for the group to expire its killed predecessor, and the transactional id already fences zombies.
     */
    private void positionTraining() {
        Map<Integer, Long> checkpoint = session.nextOffsets();
        Set<TopicPartition> partitions = training.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = training.committed(partitions, KAFKA_TIMEOUT);
        for (TopicPartition tp : partitions) {
            Long next = checkpoint.get(tp.partition());
            OffsetAndMetadata groupOffset = committed.get(tp);
            if (next != null) {
                training.seek(tp, next);
            } else if (groupOffset != null) {
                training.seek(tp, groupOffset.offset());
            } else {
                training.seekToBeginning(List.of(tp));
            }
        }
    }

    /**
     * Re-reads the examples just before the checkpoint's offsets (at most the retrain window per partition) into
     * the retrain window, so that a RETRAIN after a restart has the same examples to learn from as before it. They
     * are not learned again: the restored state already has them.
     */
    private void refillRetrainWindow() {
        Map<Integer, Long> offsets = session.nextOffsets();
        Map<TopicPartition, Long> until = new HashMap<>();
        for (TopicPartition tp : training.assignment()) {
            Long next = offsets.get(tp.partition());
            if (next != null && next > 0) {
                until.put(tp, next);
            }
        }
        if (until.isEmpty()) {
            return;
        }
        long window = session.retrainWindowCapacity();
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(readerProps(bootstrap),
                 new StringDeserializer(), new ByteArrayDeserializer())) {
            reader.assign(until.keySet());
            Map<TopicPartition, Long> begin = reader.beginningOffsets(until.keySet(), KAFKA_TIMEOUT);
            until.forEach((tp, next) -> reader.seek(tp, Math.max(begin.get(tp), next - window)));
            long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
            while (running && until.entrySet().stream()
                    .anyMatch(e -> reader.position(e.getKey(), KAFKA_TIMEOUT) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    log.warn("Could not refill the retrain window of model '{}' from {} within {}; a RETRAIN learns "
                        + "from the {} examples read so far.", modelName, trainingTopic, CATCH_UP_TIMEOUT,
                        session.retainedExamples());
                    return;
                }
                for (ConsumerRecord<String, byte[]> record : reader.poll(TRAINING_POLL)) {
                    Long next = until.get(new TopicPartition(record.topic(), record.partition()));
                    if (record.value() == null || next == null || record.offset() >= next) {
                        continue;
                    }
                    try {
                        session.remember(TrainingExample.parseFrom(record.value()));
                    } catch (InvalidProtocolBufferException e) {
                        // Counted when it was first read; nothing to retrain from.
                    }
                }
            }
        }
        log.info("Refilled the retrain window of model '{}' with {} examples read before the checkpoint.", modelName,
            session.retainedExamples());
    }

    /** The acknowledgements of this model's commands so far, by command id; empty without the acks topic. */
    private Map<String, CommandAck> readAcknowledgements() {
        Map<String, CommandAck> acks = new HashMap<>();
        if (!acksEnabled) {
            return acks;
        }
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(readerProps(bootstrap),
                 new StringDeserializer(), new ByteArrayDeserializer())) {
            assignFromBeginning(reader, acksTopic);
            readToEnd(reader, () -> {
                for (ConsumerRecord<String, byte[]> record : reader.poll(TRAINING_POLL)) {
                    if (record.value() == null || !modelName.equals(record.key())) {
                        continue;
                    }
                    try {
                        CommandAck ack = CommandAck.parseFrom(record.value());
                        acks.put(ack.getCommandId(), ack);
                    } catch (InvalidProtocolBufferException e) {
                        log.warn("Ignored an unreadable acknowledgement on {} partition {} offset {}.", acksTopic,
                            record.partition(), record.offset());
                    }
                }
            });
        }
        return acks;
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

    private void pollRegistry(Duration timeout, boolean adopt) {
        boolean any = false;
        for (ConsumerRecord<String, byte[]> record : registry.poll(timeout)) {
            if (record.value() == null) {
                continue;
            }
            if (record.topic().equals(schemasTopic)) {
                try {
                    session.onSchema(ModelSchema.parseFrom(record.value()));
                } catch (InvalidProtocolBufferException e) {
                    log.warn("Ignored an unreadable model schema on {} partition {} offset {} (key '{}'): {}",
                        schemasTopic, record.partition(), record.offset(), record.key(), e.getMessage());
                }
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
        if (any && adopt && running) {
            session.adoptNewestIfForeign();
        }
    }

    private void pollCommands(Duration timeout, boolean live) {
        for (ConsumerRecord<String, byte[]> record : commands.poll(timeout)) {
            if (record.value() == null || !live && record.offset()
                    >= catchUpEnds.getOrDefault(new TopicPartition(record.topic(), record.partition()), 0L)) {
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
            if (!live && acksEnabled && ACKNOWLEDGED_TYPES.contains(command.getType())) {
                CommandAck ack = acknowledgedAtStart.get(command.getCommandId());
                if (ack == null) {
                    deferred.add(command);
                    continue;
                }
                if (command.getType() == Command.Type.RESET) {
                    lastAcknowledgedReset = Map.entry(command, ack.getAcknowledgedAtMs());
                }
            }
            apply(command, live);
        }
    }

    private void apply(Command command, boolean live) {
        LearningSession.CommandResult result = session.onCommand(command, clock.millis(), live);
        if (result.version().isPresent()) {
            LearningSession.PendingVersion pending = result.version().get();
            if (!publish(pending, ack(command, result.outcome(), result.detail(),
                    pending.version().getVersion()))) {
                acknowledge(ack(command, CommandAck.Outcome.FAILED, "the retrained version could not be "
                    + "published (see the trainer's log); the model is unchanged", 0));
            }
        } else if (result.acknowledge()) {
            acknowledge(ack(command, result.outcome(), result.detail(), 0));
        }
        if (live) {
            session.adoptNewestIfForeign();
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

    /** Writes an acknowledgement in a transaction of its own; a failure is logged, never fatal. */
    private void acknowledge(CommandAck ack) {
        log.info("Command '{}' ({}) for model '{}': {}, {}.", ack.getCommandId(), ack.getType(), modelName,
            ack.getOutcome(), ack.getDetail());
        if (!acksEnabled) {
            return;
        }
        try {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(acksTopic, modelName, ack.toByteArray()));
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            throw fenced(e);
        } catch (KafkaException e) {
            abortQuietly();
            log.error("Could not acknowledge command '{}' of model '{}' on {}: {}; it was applied all the same.",
                ack.getCommandId(), modelName, acksTopic, String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    private TrainerException fenced(KafkaException e) {
        return new TrainerException("Another trainer for model '" + modelName + "' (same topics.prefix and "
            + "model name) took over; this one stops so that no example is learned twice.", e);
    }

    /**
     * Publishes a version and commits the training offsets it covers in one Kafka transaction: either both become
     * visible or neither does, so the version's checkpoint and the group's offsets always agree.
     */
    private void publish(LearningSession.PendingVersion pending) {
        publish(pending, null);
    }

    /**
     * As above, with the acknowledgement of the command that asked for the version (or null) in the same
     * transaction.
     *
     * @return false if the version could not be published (logged; the caller's state is unchanged)
     */
    private boolean publish(LearningSession.PendingVersion pending, CommandAck ack) {
        ModelVersion mv = pending.version();
        String key = mv.getModel() + "/" + mv.getVersion();
        try {
            producer.beginTransaction();
            // The schema first: a reader that has the version then has (or is about to read) its domains.
            pending.newSchema().ifPresent(schema -> producer.send(new ProducerRecord<>(schemasTopic,
                schema.getModel() + "/" + schema.getSchemaId(), schema.toByteArray())));
            producer.send(new ProducerRecord<>(modelsTopic, key, mv.toByteArray()));
            if (ack != null && acksEnabled) {
                producer.send(new ProducerRecord<>(acksTopic, modelName, ack.toByteArray()));
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = offsetsOf(mv);
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, training.groupMetadata());
            }
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            throw fenced(e);
        } catch (KafkaException e) {
            abortQuietly();
            log.error("Could not publish model '{}' v{} to {}: {}; will try again with the next version.",
                mv.getModel(), mv.getVersion(), modelsTopic, String.valueOf(e.getCause() == null ? e : e.getCause()));
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

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            log.warn("Could not abort the publishing transaction of model '{}': {}", modelName, e.getMessage());
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> offsetsOf(ModelVersion mv) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = training.assignment();
        for (Map.Entry<Integer, Long> e : mv.getInputOffsetsMap().entrySet()) {
            TopicPartition tp = new TopicPartition(trainingTopic, e.getKey());
            if (assigned.contains(tp)) {
                offsets.put(tp, new OffsetAndMetadata(e.getValue(), "model version " + mv.getVersion()));
            }
        }
        return offsets;
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
