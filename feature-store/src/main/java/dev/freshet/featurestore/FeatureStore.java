package dev.freshet.featurestore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import dev.freshet.featurestore.internal.streams.Counters;
import dev.freshet.featurestore.internal.streams.FeatureStoreTopology;
import dev.freshet.featurestore.internal.streams.Topics;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
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
            FeatureStoreTopology.build(view, topics, labelWaitMs, counters), streamsProps);
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
