package dev.freshet.featurestore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import dev.freshet.featurestore.internal.streams.Counters;
import dev.freshet.featurestore.internal.streams.FeatureStoreTopology;
import dev.freshet.featurestore.internal.streams.Topics;
import dev.freshet.featurestore.internal.view.EntityState;
import dev.freshet.featurestore.internal.view.EntityStateCodec;
import dev.freshet.featurestore.internal.view.FeatureComputer;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import dev.freshet.proto.features.v1.FeatureVector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running feature store: reads {@code <prefix>events}, keeps per-entity windowed aggregates in RocksDB,
 * writes {@code <prefix>features}, joins {@code <prefix>predictions} with {@code <prefix>labels} into
 * {@code <prefix>training-examples}, and dead-letters what it cannot use to {@code <prefix>dead-letter}.
 * Runs one Kafka Streams application ({@code <prefix>feature-store}, exactly-once v2). The topics must exist.
 *
 * <p>Thread-safe: {@link #stats()} and {@link #view()} may be called from any thread while it runs.
 */
public final class FeatureStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureStore.class);
    private static final Duration SUMMARY_INTERVAL = Duration.ofMinutes(1);

    private final FeatureView view;
    private final FeatureComputer computer;
    private volatile ReadOnlyKeyValueStore<String, byte[]> entityStates;
    private final KafkaStreams streams;
    private final Counters counters;
    private final Duration closeTimeout;
    private final Path temporaryStateDir;
    private final ScheduledExecutorService summary;
    private final AtomicReference<FeatureStoreStats> lastSummary = new AtomicReference<>(
        new FeatureStoreStats(0, 0, java.util.Map.of(), 0, 0, 0));
    private boolean closed;

    private FeatureStore(FeatureView view, KafkaStreams streams, Counters counters, Duration closeTimeout,
            Path temporaryStateDir) {
        this.view = view;
        this.computer = new FeatureComputer(view);
        this.streams = streams;
        this.counters = counters;
        this.closeTimeout = closeTimeout;
        this.temporaryStateDir = temporaryStateDir;
        this.summary = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "feature-store-summary");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Validates the configuration and the feature view, then starts processing. Returns once Kafka Streams has
     * started; it then joins its group and restores state in the background.
     *
     * @param props {@link FeatureStoreConfig} keys; others are ignored
     * @throws org.apache.kafka.common.config.ConfigException on a missing or invalid key
     * @throws InvalidFeatureViewException when the view file is not a valid feature view
     * @throws FeatureStoreException when the view file or the state directory cannot be used
     */
    public static FeatureStore start(Map<String, ?> props) {
        FeatureStoreConfig config = new FeatureStoreConfig(props);
        FeatureView view = FeatureViewParser.parse(Path.of(config.getString(FeatureStoreConfig.VIEW_FILE_CONFIG)));
        Topics topics = new Topics(config.getString(FeatureStoreConfig.TOPICS_PREFIX_CONFIG));
        String stateDirSetting = config.getString(FeatureStoreConfig.STATE_DIR_CONFIG);
        Path temporaryStateDir = stateDirSetting.isBlank() ? createTemporaryStateDir() : null;
        Path stateDir = temporaryStateDir != null ? temporaryStateDir : Path.of(stateDirSetting);
        long labelWaitMs = config.getLong(FeatureStoreConfig.LABEL_WAIT_MS_CONFIG);

        Properties streamsProps = new Properties();
        streamsProps.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.applicationId());
        streamsProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
            config.getString(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG));
        streamsProps.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        streamsProps.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        streamsProps.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG,
            config.getInt(FeatureStoreConfig.STREAM_THREADS_CONFIG));

        Counters counters = new Counters();
        KafkaStreams streams = new KafkaStreams(
            FeatureStoreTopology.build(view, topics, labelWaitMs, counters,
                view.label() == null ? 0 : partitionsOf(streamsProps, topics.events())), streamsProps);
        streams.setUncaughtExceptionHandler(e -> {
            // Bad input is dead-lettered before it can get here, so this is a fault an operator must see.
            log.error("The feature store '{}' stopped processing after an unexpected failure.", topics.applicationId(),
                e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        FeatureStore store = new FeatureStore(view, streams, counters,
            Duration.ofMillis(config.getLong(FeatureStoreConfig.CLOSE_TIMEOUT_MS_CONFIG)), temporaryStateDir);
        streams.start();
        store.summary.scheduleAtFixedRate(store::logSummary, SUMMARY_INTERVAL.toMillis(),
            SUMMARY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        log.info("Started the feature store '{}' with view '{}' v{} ({} fields, {} aggregations), state in {}.",
            topics.applicationId(), view.name(), view.version(), view.fields().size(), view.aggregations().size(),
            stateDir);
        return store;
    }

    /** The registered feature view. Never null. */
    public FeatureView view() {
        return view;
    }

    /**
     * The entity's current features, read in-process from this instance's entity-state store (RocksDB): the same
     * values as the newest feature vector written for it. Thread-safe.
     *
     * @return the vector, or empty when no event of the entity is in a partition this instance holds
     * @throws FeatureStoreException when the store is not queryable yet (starting, restoring or rebalancing)
     */
    public Optional<FeatureVector> onlineFeatures(String entityId) {
        ReadOnlyKeyValueStore<String, byte[]> store = entityStates;
        if (store == null) {
            try {
                store = streams.store(StoreQueryParameters.fromNameAndType(FeatureStoreTopology.ENTITY_STATE_STORE,
                    QueryableStoreTypes.keyValueStore()));
            } catch (InvalidStateStoreException e) {
                throw new FeatureStoreException("The feature store is not queryable yet (state " + streams.state()
                    + "); retry once it is RUNNING.", e);
            }
            entityStates = store;
        }
        byte[] stored;
        try {
            stored = store.get(entityId);
        } catch (InvalidStateStoreException e) {
            // A rebalance moved the partitions; the next call looks the store up again.
            entityStates = null;
            throw new FeatureStoreException("The feature store is rebalancing (state " + streams.state()
                + "); retry shortly.", e);
        }
        if (stored == null) {
            return Optional.empty();
        }
        EntityState state = EntityStateCodec.decode(stored);
        return Optional.of(FeatureVector.newBuilder()
            .setEntityId(entityId)
            .setView(view.name())
            .setViewVersion(view.version())
            .setEventTimeMs(state.newestEventTimeMs())
            .putAllValues(computer.features(state))
            .build());
    }

    /** Counts since this instance started. Never null. */
    public FeatureStoreStats stats() {
        return counters.snapshot();
    }

    /**
     * Stops processing: commits, leaves the group and closes the state stores, waiting at most
     * {@code featurestore.close.timeout.ms}. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        summary.shutdownNow();
        // Leaving the group lets a restarted instance take the partitions at once instead of after a session
        // timeout.
        boolean stopped = streams.close(CloseOptions.groupMembershipOperation(
            CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(closeTimeout));
        if (!stopped) {
            log.warn("The feature store did not stop within {} ms; some state may be restored from the changelog "
                + "on the next start.", closeTimeout.toMillis());
        }
        if (temporaryStateDir != null && stopped) {
            deleteRecursively(temporaryStateDir);
        }
        log.info("Stopped the feature store with view '{}': {}.", view.name(), stats());
    }

    private void logSummary() {
        FeatureStoreStats now = stats();
        if (!now.equals(lastSummary.getAndSet(now))) {
            log.info("Feature store totals for view '{}': {} events in, {} feature vectors out, dead-lettered {}, "
                    + "{} labels in, {} training examples out, {} predictions expired unlabelled.", view.name(),
                now.eventsIn(), now.featureVectorsOut(), now.deadLettered(), now.labelsIn(),
                now.trainingExamplesOut(), now.predictionsExpiredUnlabelled());
        }
    }

    /** The partition count of a topic; the label feature's repartition topics must match the events topic's. */
    private static int partitionsOf(Properties streamsProps, String topic) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                streamsProps.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)))) {
            while (true) {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                        .partitions().size();
                } catch (ExecutionException e) {
                    // A topic created a moment ago may not have reached every broker's metadata yet.
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new FeatureStoreException("Cannot read the partition count of the topic '" + topic + "' (" + e
                + "); it must exist before the feature store starts.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FeatureStoreException("Interrupted while reading the partition count of '" + topic + "'.", e);
        }
    }

    private static Path createTemporaryStateDir() {
        try {
            return Files.createTempDirectory("freshet-feature-store-");
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot create a temporary state directory (" + e
                + "); set " + FeatureStoreConfig.STATE_DIR_CONFIG + " to a writable directory.", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("Could not remove the temporary state directory {}: {}.", dir, e.toString());
        }
    }
}
