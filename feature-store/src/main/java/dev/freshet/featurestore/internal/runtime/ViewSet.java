package dev.freshet.featurestore.internal.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreStats;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.streams.Counters;
import dev.freshet.featurestore.internal.streams.FeatureStoreTopology;
import dev.freshet.featurestore.internal.view.EntityState;
import dev.freshet.featurestore.internal.view.EntityStateCodec;
import dev.freshet.featurestore.internal.view.FeatureComputer;
import dev.freshet.proto.features.v1.FeatureVector;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka Streams applications of one feature-store instance: the label join ({@code <prefix>feature-store}),
 * and per view its live version and, while a change backfills, its next version, each its own application
 * ({@code <prefix>feature-store.<view>.v<version>}) with its own state and offsets. A backfilling version reads the
 * events topic from its earliest retained offset with its outputs held back; when it takes over, its outputs open
 * first and the old version stops only once it has read as far, so no event goes without a vector.
 * Thread-safe: {@link #run} is serialised; lookups and stats read immutable snapshots.
 */
public final class ViewSet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ViewSet.class);
    private static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(15);
    /** How the label join is named in the feature store's liveness. */
    public static final String LABEL_JOIN_STAGE = "label join";

    private final Properties baseProps;
    private final TopicLayout topics;
    private final long labelWaitMs;
    private final int entityPartitions;
    private final Duration closeTimeout;
    private final Offsets offsets;
    private final StreamsApp labelJoin;
    private final Liveness liveness;
    private volatile Map<String, ViewApp> live = Map.of();
    private volatile Map<String, ViewApp> backfilling = Map.of();
    private final List<FeatureStoreStats> stoppedTotals = new ArrayList<>();
    private boolean closed;

    /**
     * What to run of one view.
     *
     * @param live the version that serves: its vectors are written and looked up
     * @param backfill the version computed from history meanwhile, or null
     */
    public record Plan(FeatureView live, FeatureView backfill) {
    }

    /** A running version of a view; {@code endAtStart} is where the events topic ended when it started. */
    private record ViewApp(FeatureView view, StreamsApp app, FeatureComputer computer, AtomicBoolean emitting,
            Map<TopicPartition, Long> endAtStart) {
    }

    /**
     * Starts the label join; views start with {@link #run}.
     *
     * @param clients   opens the admin client that reads the events topic's offsets
     * @param baseProps Kafka Streams settings shared by every application (bootstrap, state dir, guarantees)
     * @param entityPartitions partitions of the events topic
     * @param liveness told when an application stops for good other than by being closed
     */
    public ViewSet(KafkaClients clients, Properties baseProps, TopicLayout topics, long labelWaitMs,
            int entityPartitions, Duration closeTimeout, Liveness liveness) {
        this.liveness = liveness;
        this.baseProps = baseProps;
        this.topics = topics;
        this.labelWaitMs = labelWaitMs;
        this.entityPartitions = entityPartitions;
        this.closeTimeout = closeTimeout;
        this.offsets = new Offsets(clients.admin(), topics.name(Topic.EVENTS));
        Counters counters = new Counters();
        this.labelJoin = new StreamsApp(topics.clientId("feature-store"),
            FeatureStoreTopology.buildLabelJoin(topics, labelWaitMs, counters, entityPartitions,
                FeatureStoreTopology.historyMs(baseProps)), baseProps, counters, liveness, LABEL_JOIN_STAGE);
        labelJoin.start();
    }

    /** The application id of a view version. */
    public static String applicationId(TopicLayout topics, FeatureView view) {
        return topics.clientId("feature-store") + "." + view.name() + ".v" + view.version();
    }

    /**
     * Runs exactly these views: starts the versions not running yet, promotes a backfilled version that has become
     * the live one, and stops the rest. A stopped version's local state is removed (it is replaced or gone).
     */
    public synchronized void run(Collection<Plan> plans) {
        if (closed) {
            return;
        }
        Map<String, Plan> wanted = new LinkedHashMap<>();
        plans.forEach(p -> wanted.put(p.live().name(), p));
        Map<String, ViewApp> nextLive = new TreeMap<>(live);
        Map<String, ViewApp> nextBackfill = new TreeMap<>(backfilling);
        for (String name : List.copyOf(nextLive.keySet())) {
            if (!wanted.containsKey(name)) {
                stop(nextLive.remove(name), "no longer registered");
            }
        }
        for (String name : List.copyOf(nextBackfill.keySet())) {
            if (!wanted.containsKey(name)) {
                stop(nextBackfill.remove(name), "no longer registered");
            }
        }
        for (Plan plan : wanted.values()) {
            String name = plan.live().name();
            ViewApp current = nextLive.get(name);
            ViewApp candidate = nextBackfill.get(name);
            if (candidate != null && candidate.view().version() == plan.live().version()) {
                nextBackfill.remove(name);
                takeOver(candidate, current);
                nextLive.put(name, candidate);
                current = candidate;
            }
            if (current == null || current.view().version() != plan.live().version()) {
                if (current != null) {
                    stop(current, "replaced by v" + plan.live().version());
                }
                nextLive.put(name, start(plan.live(), true));
            }
            candidate = nextBackfill.get(name);
            FeatureView backfill = plan.backfill();
            if (candidate != null && (backfill == null || candidate.view().version() != backfill.version())) {
                nextBackfill.remove(name);
                stop(candidate, backfill == null ? "its backfill was called off" : "superseded by v"
                    + backfill.version());
            }
            if (backfill != null && !nextBackfill.containsKey(name)) {
                nextBackfill.put(name, start(backfill, false));
            }
        }
        live = Collections.unmodifiableMap(nextLive);
        backfilling = Collections.unmodifiableMap(nextBackfill);
    }

    private ViewApp start(FeatureView view, boolean emitting) {
        AtomicBoolean gate = new AtomicBoolean(emitting);
        Map<TopicPartition, Long> endAtStart = emitting ? Map.of() : offsets.endOffsets();
        Counters counters = new Counters();
        StreamsApp app = new StreamsApp(applicationId(topics, view), FeatureStoreTopology.buildIngestion(view, topics,
            labelWaitMs, counters, entityPartitions, gate::get), baseProps, counters, liveness,
            "view '" + view.name() + "' v" + view.version());
        app.start();
        log.info("Started view '{}' v{} ({} fields, {} aggregations, {} transforms) as the application '{}'{}.",
            view.name(), view.version(), view.fields().size(), view.aggregations().size(), view.transforms().size(),
            app.applicationId(), emitting ? "" : ", backfilling from the earliest retained event; its features are "
                + "written once it has caught up");
        return new ViewApp(view, app, new FeatureComputer(view), gate, endAtStart);
    }

    /**
     * The backfilled version starts writing, then the old one stops once it has read at least as far, so every
     * event has a vector from one version or the other (a few from both).
     */
    private void takeOver(ViewApp next, ViewApp previous) {
        next.emitting().set(true);
        if (previous != null) {
            // Whatever the new version read before it opened, the old one must have read (and written) too: it
            // read no further than the topic's end now.
            Map<TopicPartition, Long> reachedByNext = offsets.endOffsets();
            boolean caughtUp = offsets.awaitCommitted(previous.app().applicationId(), reachedByNext,
                HANDOVER_TIMEOUT);
            if (!caughtUp) {
                log.warn("View '{}' v{} did not reach v{}'s offsets {} within {} s before it stopped; the events "
                    + "between may show in the features topic only at their entity's next event.",
                    previous.view().name(), previous.view().version(), next.view().version(), reachedByNext,
                    HANDOVER_TIMEOUT.toSeconds());
            }
            stop(previous, "replaced by v" + next.view().version() + ", which has caught up");
        }
        log.info("View '{}' v{} has taken over{}.", next.view().name(), next.view().version(),
            previous == null ? "" : " from v" + previous.view().version());
    }

    private void stop(ViewApp viewApp, String why) {
        boolean stopped = viewApp.app().close(closeTimeout);
        synchronized (stoppedTotals) {
            stoppedTotals.add(viewApp.app().counters().snapshot());
        }
        if (stopped) {
            viewApp.app().cleanUp();
        }
        log.info("Stopped view '{}' v{} ({}){}.", viewApp.view().name(), viewApp.view().version(), why,
            stopped ? " and removed its local state" : "");
    }

    /** The live views, ordered by name. */
    public List<FeatureView> views() {
        return live.values().stream().map(ViewApp::view).toList();
    }

    /**
     * Whether this instance can answer lookups: the label join and every live view's application are RUNNING
     * (they have joined their groups and restored their state), so each view's store is queryable.
     */
    public boolean running() {
        if (labelJoin.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        return live.values().stream().allMatch(v -> v.app().state() == KafkaStreams.State.RUNNING);
    }

    /** The versions backfilling now, ordered by view name. */
    public List<FeatureView> backfilling() {
        return backfilling.values().stream().map(ViewApp::view).toList();
    }

    /**
     * The backfilling versions that have read every event that existed when they started (their committed offsets
     * reached the end offsets of then).
     */
    public List<FeatureView> caughtUp() {
        List<FeatureView> done = new ArrayList<>();
        for (ViewApp candidate : backfilling.values()) {
            if (offsets.reached(offsets.committed(candidate.app().applicationId()), candidate.endAtStart())) {
                done.add(candidate.view());
            }
        }
        return done;
    }

    /**
     * The entity's current features in one view's live version, from this instance's state of it.
     *
     * @return empty when the view does not run here or holds nothing for the entity in this instance's partitions
     * @throws dev.freshet.featurestore.FeatureStoreException when the view's store is not queryable right now
     */
    public Optional<FeatureVector> features(String entityId, String viewName) {
        ViewApp viewApp = live.get(viewName);
        if (viewApp == null) {
            return Optional.empty();
        }
        byte[] stored = viewApp.app().get(FeatureStoreTopology.ENTITY_STATE_STORE, entityId);
        if (stored == null) {
            return Optional.empty();
        }
        EntityState state = EntityStateCodec.decode(stored);
        return Optional.of(FeatureVector.newBuilder()
            .setEntityId(entityId)
            .setView(viewApp.view().name())
            .setViewVersion(viewApp.view().version())
            .setEventTimeMs(state.newestEventTimeMs())
            .putAllValues(viewApp.computer().features(state))
            .build());
    }

    /** The label join application's counts since this instance started (labels belong to no one view). */
    public FeatureStoreStats labelJoinStats() {
        return labelJoin.counters().snapshot();
    }

    /** The counts of each live view's application (events in, vectors out, dead letters), by view name. */
    public Map<String, FeatureStoreStats> statsByView() {
        Map<String, FeatureStoreStats> byView = new TreeMap<>();
        live.forEach((name, viewApp) -> byView.put(name, viewApp.app().counters().snapshot()));
        return byView;
    }

    /**
     * Counts of every application since this instance started, summed: each view reads every event, and a
     * backfilling version counts what it computes, written or not.
     */
    public FeatureStoreStats stats() {
        List<FeatureStoreStats> all = new ArrayList<>();
        all.add(labelJoin.counters().snapshot());
        live.values().forEach(v -> all.add(v.app().counters().snapshot()));
        backfilling.values().forEach(v -> all.add(v.app().counters().snapshot()));
        synchronized (stoppedTotals) {
            all.addAll(stoppedTotals);
        }
        FeatureStoreStats total = FeatureStoreStats.none();
        for (FeatureStoreStats s : all) {
            total = total.plus(s);
        }
        return total;
    }

    /**
     * Stops every application (views first, then the label join), each within the close timeout; keeps their
     * local state for the next start. Idempotent.
     *
     * @return whether all stopped in time
     */
    public synchronized boolean closeAll() {
        if (closed) {
            return true;
        }
        closed = true;
        boolean allStopped = true;
        for (ViewApp viewApp : backfilling.values()) {
            allStopped &= viewApp.app().close(closeTimeout);
        }
        for (ViewApp viewApp : live.values()) {
            allStopped &= viewApp.app().close(closeTimeout);
        }
        allStopped &= labelJoin.close(closeTimeout);
        offsets.close();
        return allStopped;
    }

    @Override
    public void close() {
        closeAll();
    }
}
