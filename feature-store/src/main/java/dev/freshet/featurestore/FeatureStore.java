package dev.freshet.featurestore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.internal.grpc.FeatureStoreServer;
import dev.freshet.featurestore.internal.registry.Registration;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.registry.RegistryWatcher;
import dev.freshet.featurestore.internal.runtime.ViewSet;
import dev.freshet.featurestore.internal.streams.StreamsTuning;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running feature store: runs the registered feature views over {@code <prefix>events}, keeps per-entity
 * windowed aggregates in RocksDB, writes {@code <prefix>features}, joins {@code <prefix>predictions} with
 * {@code <prefix>labels} into {@code <prefix>training-examples}, and dead-letters what it cannot use to
 * {@code <prefix>dead-letter}.
 *
 * <p>The views come from the registry, the compacted topic {@code <prefix>feature-views}: the instance reads it at
 * start, runs the views it holds and follows it, so a view applied with {@code freshet features apply} (or the
 * gRPC {@code ApplyFeatureViews}) starts running on every instance. {@code featurestore.view.file}, when set, is
 * applied to the registry at start like {@code freshet features apply}. Without the registry topic (a test that
 * did not create it), the instance runs the file's views alone. Each view version is its own Kafka Streams
 * application ({@code <prefix>feature-store.<view>.v<version>}), and the label join another
 * ({@code <prefix>feature-store}), all exactly-once v2. The topics must exist.
 *
 * <p>Thread-safe: every method may be called from any thread while it runs.
 */
public final class FeatureStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureStore.class);
    private static final Duration SUMMARY_INTERVAL = Duration.ofMinutes(1);
    private static final Duration REGISTRY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration BACKFILL_CHECK_INTERVAL = Duration.ofSeconds(1);
    private static final Duration READY_CHECK_INTERVAL = Duration.ofMillis(100);

    private final ViewSet views;
    private final RegistryTopic registry;
    private final Duration closeTimeout;
    private final Path temporaryStateDir;
    private final ScheduledExecutorService summary;
    private final AtomicReference<FeatureStoreStats> lastSummary = new AtomicReference<>(
        FeatureStoreStats.none());
    private final Object registryLock = new Object();
    private final Liveness liveness;
    /** The registered versions skipped as refused, each logged once. */
    private final Set<String> refusedVersions = ConcurrentHashMap.newKeySet();
    private volatile RegistryWatcher watcher;
    private FeatureStoreServer server;
    private volatile ScheduledFuture<?> readyCheck;
    private boolean closed;

    private FeatureStore(ViewSet views, RegistryTopic registry, Duration closeTimeout, Path temporaryStateDir,
            Liveness liveness) {
        this.views = views;
        this.liveness = liveness;
        this.registry = registry;
        this.closeTimeout = closeTimeout;
        this.temporaryStateDir = temporaryStateDir;
        this.summary = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "feature-store-summary");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Validates the configuration (and the view file, when set), applies the file to the registry, then starts
     * the registered views. Returns once their Kafka Streams applications have started; they then join their
     * groups and restore state in the background.
     *
     * @param props {@link FeatureStoreConfig} keys; others are ignored
     * @throws org.apache.kafka.common.config.ConfigException on a missing or invalid key
     * @throws InvalidFeatureViewException when the view file is not a valid set of feature views
     * @throws FeatureStoreException when the view file, the registry, the gRPC port or the state directory cannot
     *     be used, or there is no view to run
     */
    public static FeatureStore start(Map<String, ?> props) {
        FeatureStoreConfig config = new FeatureStoreConfig(props);
        // Before any Kafka work: a TLS or token file that cannot be used fails the start at once, naming its key.
        FeatureStoreServer.Security security = FeatureStoreServer.Security.from(config);
        KafkaClients clients = KafkaClients.from(props);
        TopicLayout topics = new TopicLayout(config.getString(CommonConfig.TOPICS_PREFIX_CONFIG));
        String viewFile = config.getString(FeatureStoreConfig.VIEW_FILE_CONFIG);
        List<FeatureView> fileViews = viewFile.isBlank() ? List.of()
            : FeatureViewParser.parseAll(Path.of(viewFile)).stream().map(FeatureViewParser.DeclaredView::view)
                .toList();
        RegistryTopic registry = new RegistryTopic(clients, topics);
        boolean hasRegistry = registry.exists(REGISTRY_TIMEOUT);
        if (!hasRegistry && viewFile.isBlank()) {
            throw new FeatureStoreException("The feature store has no view to run: the registry topic "
                + registry.name() + " does not exist and " + FeatureStoreConfig.VIEW_FILE_CONFIG + " is empty; "
                + "create the topic (freshet run does) and apply views with freshet features apply, or set "
                + FeatureStoreConfig.VIEW_FILE_CONFIG + ".");
        }
        if (hasRegistry && !viewFile.isBlank()) {
            applyViewFile(registry, Path.of(viewFile));
        }
        String stateDirSetting = config.getString(FeatureStoreConfig.STATE_DIR_CONFIG);
        Path temporaryStateDir = stateDirSetting.isBlank() ? createTemporaryStateDir() : null;
        Path stateDir = temporaryStateDir != null ? temporaryStateDir : Path.of(stateDirSetting);
        long labelWaitMs = config.getLong(FeatureStoreConfig.LABEL_WAIT_MS_CONFIG);
        Duration closeTimeout = Duration.ofMillis(config.getLong(FeatureStoreConfig.CLOSE_TIMEOUT_MS_CONFIG));

        // Shared by every application; each sets its own application id.
        Properties streamsProps = clients.streamsProperties(topics.clientId("feature-store"), Map.of());
        streamsProps.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        streamsProps.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG,
            config.getInt(FeatureStoreConfig.STREAM_THREADS_CONFIG));
        streamsProps.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
            config.getLong(FeatureStoreConfig.COMMIT_INTERVAL_MS_CONFIG));
        // Read by the aggregation through its application's configs.
        streamsProps.put(FeatureStoreConfig.ENTITY_TTL_MS_CONFIG,
            config.getLong(FeatureStoreConfig.ENTITY_TTL_MS_CONFIG));
        streamsProps.put(FeatureStoreConfig.FEATURE_HISTORY_MS_CONFIG,
            config.getLong(FeatureStoreConfig.FEATURE_HISTORY_MS_CONFIG));
        for (String key : RecordLimits.KEYS) {
            streamsProps.put(key, config.values().get(key));
        }
        StreamsTuning.apply(streamsProps);
        StreamsTuning.boundRecords(streamsProps, config.getInt(FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG),
            config.getString(CommonConfig.TOPICS_PREFIX_CONFIG));

        Liveness liveness = new Liveness("feature-store");
        ViewSet views = new ViewSet(clients, streamsProps, topics, labelWaitMs,
            partitionsOf(clients, topics.name(Topic.EVENTS)), closeTimeout, liveness);
        FeatureStore store = new FeatureStore(views, hasRegistry ? registry : null, closeTimeout, temporaryStateDir,
            liveness);
        try {
            if (hasRegistry) {
                store.watcher = new RegistryWatcher(registry, REGISTRY_TIMEOUT, changed -> store.runRegistered(),
                    liveness);
                store.runRegistered();
            } else {
                log.warn("The registry topic {} does not exist: running the views of {} only; create the topic to "
                    + "register views and share them between instances.", registry.name(), viewFile);
                views.run(fileViews.stream().map(v -> new ViewSet.Plan(v, null)).toList());
            }
            int port = config.getInt(FeatureStoreConfig.GRPC_PORT_CONFIG);
            if (port >= 0) {
                store.server = FeatureStoreServer.start(CommonConfig.bindAddress(config,
                    FeatureStoreConfig.GRPC_BIND_ADDRESS_CONFIG), port, security, store.registry, views, closeTimeout,
                    liveness);
                store.readyCheck = store.summary.scheduleWithFixedDelay(store::reportServingOnceRunning, 0,
                    READY_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
                // A stopped stage keeps health NOT_SERVING for good; there is nothing left to wait for.
                liveness.onStop(stop -> store.readyCheck.cancel(false));
            }
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        store.summary.scheduleAtFixedRate(store::logSummary, SUMMARY_INTERVAL.toMillis(),
            SUMMARY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        if (hasRegistry) {
            store.summary.scheduleWithFixedDelay(store::promoteCaughtUp, BACKFILL_CHECK_INTERVAL.toMillis(),
                BACKFILL_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
        log.info("Started the feature store '{}' with views {}, state in {}{}.", topics.clientId("feature-store"),
            views.views().stream().map(v -> v.name() + " v" + v.version()).toList(), stateDir,
            store.server == null ? "" : ", FeatureStoreService on port " + store.server.port());
        return store;
    }

    /**
     * Health turns SERVING once the store can answer: the registry was read (start() ran its views before the
     * server started) and every application is RUNNING, so lookups no longer fail as not queryable yet.
     */
    private void reportServingOnceRunning() {
        if (server.serving()) {
            ScheduledFuture<?> check = readyCheck;
            if (check != null) {
                check.cancel(false);
            }
        } else if (views.running()) {
            server.markServing();
            log.info("The feature store reports SERVING on port {}: its views {} and the label join are running.",
                server.port(), views.views().stream().map(v -> v.name() + " v" + v.version()).toList());
        }
    }

    private static void applyViewFile(RegistryTopic registry, Path file) {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot read the feature view file " + file + " (" + e
                + "); set " + FeatureStoreConfig.VIEW_FILE_CONFIG + " to a readable YAML file.", e);
        }
        Registration.Plan plan = Registration.plan(yaml, file.toString(), registry.readAll(REGISTRY_TIMEOUT),
            "feature-store (" + FeatureStoreConfig.VIEW_FILE_CONFIG + ")", System.currentTimeMillis());
        registry.publish(plan.toPublish());
        for (ApplyFeatureViewsResponse.AppliedView view : plan.response().getViewsList()) {
            log.info("Feature view '{}' from {}: {} (v{}).", view.getName(), file, view.getChange(),
                view.getVersion());
        }
    }

    /**
     * Runs what the registry holds: each ACTIVE view, and for a BACKFILLING one the version serving meanwhile
     * plus the new version backfilling. A version whose stored definition this version refuses (it no longer
     * parses, or it is over a cost bound an older Freshet did not check) is skipped, once logged, while the others
     * run; a backfill whose serving version is skipped serves at once, and a serving version whose backfill is skipped
     * goes on serving.
     */
    private void runRegistered() {
        // Always the newest snapshot, under one lock: a slower call with an older snapshot must not undo a newer one.
        RegistryWatcher current = watcher;
        if (current == null) {
            return; // start() runs the views once the watcher is set
        }
        synchronized (registryLock) {
            views.run(plansOf(current.current()));
        }
    }

    private List<ViewSet.Plan> plansOf(Map<String, FeatureViewRecord> registered) {
        List<ViewSet.Plan> plans = new ArrayList<>();
        for (FeatureViewRecord record : registered.values()) {
            if (record.getState() != FeatureViewRecord.State.ACTIVE
                    && record.getState() != FeatureViewRecord.State.BACKFILLING) {
                continue;
            }
            FeatureView view = runnableOrNull(record);
            FeatureView serving = record.getState() == FeatureViewRecord.State.BACKFILLING && record.hasServing()
                ? runnableOrNull(record.getServing()) : null;
            if (serving != null) {
                plans.add(new ViewSet.Plan(serving, view));
            } else if (view != null) {
                plans.add(new ViewSet.Plan(view, null));
            }
        }
        return plans;
    }

    private FeatureView runnableOrNull(FeatureViewRecord record) {
        try {
            return Registration.viewOf(record);
        } catch (InvalidFeatureViewException e) {
            if (refusedVersions.add(record.getName() + " v" + record.getVersion())) {
                log.warn("Skipped feature view '{}' v{} of the registry, which this version refuses: {}; the other "
                    + "views run; apply a corrected definition of it.", record.getName(), record.getVersion(),
                    String.join("; ", e.problems()));
            }
            return null;
        }
    }

    /**
     * Marks each backfilled version ACTIVE in the registry once it has read every event there was when it started;
     * every instance then lets it take over (this one included, through its watcher). Any instance may do it: the
     * record is the same.
     */
    private void promoteCaughtUp() {
        try {
            List<FeatureView> caughtUp = views.caughtUp();
            if (caughtUp.isEmpty()) {
                return;
            }
            Map<String, FeatureViewRecord> registered = registry.readAll(REGISTRY_TIMEOUT);
            List<FeatureViewRecord> promotions = new ArrayList<>();
            for (FeatureView view : caughtUp) {
                FeatureViewRecord record = registered.get(view.name());
                // A later apply may have replaced this version meanwhile; then its record is left alone.
                if (record != null && record.getState() == FeatureViewRecord.State.BACKFILLING
                        && record.getVersion() == view.version()) {
                    promotions.add(Registration.promoted(record));
                    log.info("Feature view '{}' v{} has caught up with the events topic; it takes over from v{}.",
                        view.name(), view.version(), record.getServing().getVersion());
                }
            }
            registry.publish(promotions);
        } catch (RuntimeException e) {
            log.warn("Could not check or record the progress of backfilling views ({}); retrying in {} s.",
                e.getMessage(), BACKFILL_CHECK_INTERVAL.toSeconds());
        }
    }

    /** The feature views this instance runs, by name. Never null; may be empty. */
    public List<FeatureView> views() {
        return views.views();
    }

    /** The port the FeatureStoreService listens on, or -1 when featurestore.grpc.port is -1. */
    public int grpcPort() {
        return server == null ? -1 : server.port();
    }

    /**
     * The entity's current features in every view this instance runs, read in-process from the views' RocksDB
     * state: the same values as the newest feature vectors written for it. With one view, that view's vector;
     * with several, one vector merging their values (names are unique per entity), with the newest event time,
     * the views' names joined by {@code +} and version 0. Thread-safe.
     *
     * @return the vector, or empty when no view holds an event of the entity in a partition this instance holds
     * @throws FeatureStoreException when a view's store is not queryable yet (starting, restoring or rebalancing)
     */
    public Optional<FeatureVector> onlineFeatures(String entityId) {
        List<FeatureVector> found = new ArrayList<>();
        for (FeatureView view : views.views()) {
            views.features(entityId, view.name()).ifPresent(found::add);
        }
        if (found.size() <= 1) {
            return found.stream().findFirst();
        }
        FeatureVector.Builder merged = FeatureVector.newBuilder().setEntityId(entityId)
            .setView(String.join("+", found.stream().map(FeatureVector::getView).toList()));
        for (FeatureVector vector : found) {
            merged.putAllValues(vector.getValuesMap());
            merged.setEventTimeMs(Math.max(merged.getEventTimeMs(), vector.getEventTimeMs()));
        }
        return Optional.of(merged.build());
    }

    /**
     * The entity's current features in one view.
     *
     * @return empty when the view does not run here, or holds nothing for the entity in this instance's partitions
     * @throws FeatureStoreException when the view's store is not queryable yet
     */
    public Optional<FeatureVector> onlineFeatures(String entityId, String view) {
        return views.features(entityId, view);
    }

    /**
     * Whether every stage still runs (each view's Streams application, the label join, the registry watcher); when
     * one stops for good, health turns NOT_SERVING and the first reason is kept here.
     */
    public Liveness liveness() {
        return liveness;
    }

    /** Counts since this instance started, summed over its views and the label join. Never null. */
    public FeatureStoreStats stats() {
        return views.stats();
    }

    /**
     * Stops the gRPC service, stops following the registry, then stops every view and the label join: commits,
     * leaves the groups and closes the state stores, waiting at most {@code featurestore.close.timeout.ms} each.
     * Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        summary.shutdownNow();
        if (server != null) {
            server.close();
        }
        if (watcher != null) {
            watcher.close();
        }
        boolean stopped = views.closeAll();
        if (temporaryStateDir != null && stopped) {
            deleteRecursively(temporaryStateDir);
        }
        log.info("Stopped the feature store: {}.", stats());
    }

    private void logSummary() {
        FeatureStoreStats now = stats();
        if (!now.equals(lastSummary.getAndSet(now))) {
            log.info("Feature store totals for views {}: {} events in, {} feature vectors out, dead-lettered {}, "
                    + "{} labels in, {} training examples out, labels left out {}, {} predictions expired "
                    + "unlabelled.",
                views.views().stream().map(FeatureView::name).toList(), now.eventsIn(), now.featureVectorsOut(),
                now.deadLettered(), now.labelsIn(), now.trainingExamplesOut(), now.labelsLeftOut(),
                now.predictionsExpiredUnlabelled());
        }
    }

    /**
     * The partition count of a topic; the by-entity repartition topics must match the events topic's, so that
     * events already on their entity's partition can skip them.
     */
    private static int partitionsOf(KafkaClients clients, String topic) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Admin admin = clients.admin()) {
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
