package dev.freshet.trainer.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.freshet.contracts.Lineage;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.registry.v1.SpecLineage;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.TrainerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learning state of one model and everything that decides what happens to it: test-then-train on examples
 * ({@link TestThenTrain}), when and what to publish ({@link VersionAssembler}), adoption of versions made elsewhere
 * and restarts ({@link LearnerRecovery}), and commands ({@link CommandRules}, carried out by {@link SessionCommands}).
 * Does no I/O; the caller sends what {@link #prepareVersion} returns and confirms with {@link #published}. Not
 * thread-safe: one thread (the trainer's loop) owns it.
 */
final class LearningSession {
    private static final Logger log = LoggerFactory.getLogger(LearningSession.class);
    private static final int SNAPSHOTS_KEPT = 100;
    private static final long SNAPSHOT_FEATURES_KEPT = 1_000_000;
    private static final int MODELS_KEPT = 200;
    private static final long MODEL_BYTES_KEPT = 256L << 20;

    /**
     * What the session needs from the configuration.
     *
     * @param publishMinExamples fewest new examples a version published for the interval covers
     * @param publishMaxDelayMs longest an example learned waits for a version when fewer than the minimum follow it
     * @param retrainWindowExamples 0 keeps no window (an in-process model, which takes no commands)
     */
    public record Settings(String modelName, List<String> labels, Objective objective, Optimiser.Settings optimiser,
                           double l2, int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                           int retrainEpochs, String trainingTopic, SpecLineage spec, double huberDelta,
                           int publishMinExamples, long publishMaxDelayMs) {
        /** Settings with a version at every interval after at least one example (tests of other rules). */
        public Settings(String modelName, List<String> labels, Objective objective, Optimiser.Settings optimiser,
                        double l2, int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                        int retrainEpochs, String trainingTopic, SpecLineage spec, double huberDelta) {
            this(modelName, labels, objective, optimiser, l2, publishEveryExamples, publishIntervalMs,
                retrainWindowExamples, retrainEpochs, trainingTopic, spec, huberDelta, 1, publishIntervalMs);
        }

        /** Settings from the trainer.* keys alone, without a model spec. */
        public Settings(String modelName, List<String> labels, Objective objective, Optimiser.Settings optimiser,
                        double l2, int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                        int retrainEpochs, String trainingTopic) {
            this(modelName, labels, objective, optimiser, l2, publishEveryExamples, publishIntervalMs,
                retrainWindowExamples, retrainEpochs, trainingTopic, null, 1.0);
        }

        /** A learner that has learned nothing yet, as configured. */
        OnlineLearner freshLearner() {
            return new OnlineLearner(labels, objective, optimiser, l2);
        }

        /** The trainer's learning and publishing settings from its configuration. */
        public static Settings fromConfig(TrainerConfig config, String trainingTopic, int retrainWindowExamples) {
            return new Settings(config.getString(TrainerConfig.MODEL_NAME_CONFIG),
                config.regression() ? REGRESSION_OUTPUT : config.getList(TrainerConfig.LABELS_CONFIG),
                Objective.fromConfig(config.objective()),
                Optimiser.Settings.fromConfig(config),
                config.getDouble(TrainerConfig.L2_CONFIG),
                config.getInt(TrainerConfig.PUBLISH_EVERY_EXAMPLES_CONFIG),
                config.getLong(TrainerConfig.PUBLISH_INTERVAL_MS_CONFIG),
                retrainWindowExamples,
                config.getInt(TrainerConfig.RETRAIN_EPOCHS_CONFIG),
                trainingTopic, config.spec().orElse(null),
                config.getDouble(TrainerConfig.HUBER_DELTA_CONFIG),
                config.publishMinExamples(),
                config.getLong(TrainerConfig.PUBLISH_MAX_DELAY_MS_CONFIG));
        }

        /** A regression's single output, named in its published models and checkpoints. */
        public static final List<String> REGRESSION_OUTPUT = List.of("value");

        /** Logistic loss with AdaGrad at {@code learningRate}. */
        public Settings(String modelName, List<String> labels, double learningRate, double l2,
                        int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                        int retrainEpochs, String trainingTopic) {
            this(modelName, labels, Objective.LOGISTIC, Optimiser.Settings.adaGrad(learningRate), l2,
                publishEveryExamples, publishIntervalMs, retrainWindowExamples, retrainEpochs, trainingTopic);
        }
    }

    /**
     * A version ready to send; nothing changes in the session until {@link #published} confirms it.
     *
     * @param stripped the previous checkpoint's version again without its checkpoint (to send in the same
     *                 transaction, so that only the newest version carries one), or null
     * @param expired  versions to delete from the registry in the same transaction (tombstones), oldest first
     */
    record PendingVersion(ModelVersion version, ModelSchema schema, OnlineLearner snapshot,
                          long examplesSinceParent, double accuracySinceParent, ModelVersion stripped,
                          List<Long> expired) {
        /** The schema to publish before the version (in the same transaction), or empty when it is out already. */
        public Optional<ModelSchema> newSchema() {
            return Optional.ofNullable(schema);
        }
    }

    private final Settings settings;
    private final int retainedVersions;
    private final Registry registry = new Registry(MODELS_KEPT, MODEL_BYTES_KEPT);
    private final TestThenTrain learning;
    private final Evaluation metrics;
    private final VersionAssembler assembler;
    private final LearnerRecovery recovery;
    private final SessionCommands commands;
    private final Snapshots snapshots = new Snapshots(SNAPSHOTS_KEPT, SNAPSHOT_FEATURES_KEPT);
    private final TreeMap<Integer, Long> nextOffsets = new TreeMap<>();
    private final Set<Long> notAdoptable = new HashSet<>();

    private OnlineLearner learner;
    private long currentVersion;
    private long versionsPublished;
    private long lastPublishMs;
    /** When the oldest example learned since the last version was first seen by {@link #publishDue}; -1 if none. */
    private long oldestUnpublishedMs = -1;
    /** The note of the next ONLINE version (after a RESET), or empty. */
    private String pendingNote = "";
    /** True from a RESET until its fresh model's first version: that one need not wait for the minimum. */
    private boolean afterReset;

    LearningSession(Settings settings, long nowMs) {
        this(settings, TrainerConfig.REGISTRY_RETAINED_VERSIONS_DEFAULT, nowMs);
    }

    /** @param retainedVersions how many of the newest versions the registry keeps (older ones are deleted) */
    LearningSession(Settings settings, int retainedVersions, long nowMs) {
        this.settings = settings;
        this.retainedVersions = retainedVersions;
        if (settings.objective().regression() && !settings.labels().equals(Settings.REGRESSION_OUTPUT)) {
            throw new IllegalArgumentException("A regression's labels are " + Settings.REGRESSION_OUTPUT + ", got "
                + settings.labels());
        }
        this.learning = new TestThenTrain(settings);
        this.metrics = learning.metrics();
        this.assembler = new VersionAssembler(settings);
        this.recovery = new LearnerRecovery(settings, registry, assembler);
        this.commands = new SessionCommands(settings);
        this.learner = recovery.fresh();
        this.lastPublishMs = nowMs;
    }

    /** Test-then-train on one example read from the training topic at (partition, offset). Never throws for bad input. */
    void learn(TrainingExample example, int partition, long offset) {
        nextOffsets.put(partition, offset + 1);
        learning.learn(learner, example, partition, offset);
    }

    /**
     * Puts an example the restored state already learned back into the retrain window, without learning it or
     * counting it (after a restart, the window is refilled from the examples before the checkpoint's offsets).
     */
    void remember(TrainingExample example) {
        learning.remember(example);
    }

    /** Examples the retrain window holds now. */
    int retainedExamples() {
        return learning.retainedExamples();
    }

    int retrainWindowCapacity() {
        return settings.retrainWindowExamples();
    }

    /** Counts a record that could not be read as a training example. */
    void malformed(int partition, long offset, String problem) {
        nextOffsets.put(partition, offset + 1);
        learning.malformed(partition, offset, problem);
    }

    /**
     * True when the next ONLINE version is due: after {@code publishEveryExamples} new examples; or once the
     * interval has passed since the last version, if at least {@code publishMinExamples} new examples were learned,
     * or any was and either the oldest of them has waited {@code publishMaxDelayMs} (a trickle still reaches
     * serving) or they are the first a RESET's fresh model learned (the operator asked to replace the model).
     * The caller calls it after every example, so that the wait of the oldest is measured from when it was learned.
     */
    boolean publishDue(long nowMs) {
        long since = metrics.sinceParent();
        if (since == 0) {
            return false;
        }
        if (oldestUnpublishedMs < 0) {
            oldestUnpublishedMs = nowMs;
        }
        if (since >= settings.publishEveryExamples()) {
            return true;
        }
        if (nowMs - lastPublishMs < settings.publishIntervalMs()) {
            return false;
        }
        return since >= settings.publishMinExamples() || afterReset
            || nowMs - oldestUnpublishedMs >= settings.publishMaxDelayMs();
    }

    /** Builds the next ONLINE version from the current state. */
    PendingVersion prepareVersion(long nowMs) {
        return prepare(learner.copy(), ModelVersion.Origin.ONLINE, pendingNote, learning.versionMetrics(),
            Map.of(), nowMs);
    }

    /** Builds a version from a snapshot: its lineage here, its body by the {@link VersionAssembler}. */
    PendingVersion prepare(OnlineLearner snapshot, ModelVersion.Origin origin, String note,
                           Map<String, Double> versionMetrics, Map<String, String> extraHyperparameters, long nowMs) {
        long version = registry.highestVersion() + 1;
        SpecLineage spec = settings.spec();
        TribuoModels.Lineage lineage = new TribuoModels.Lineage(settings.modelName(), version, currentVersion,
            origin.name(), snapshot.examplesLearned(), settings.trainingTopic(), Map.copyOf(nextOffsets),
            spec == null ? "" : spec.getName() + " v" + spec.getVersion() + " sha256 " + spec.getSha256(),
            spec == null ? "" : spec.getFeatureView() + " v" + spec.getFeatureViewVersion());
        ModelVersion.Builder builder = ModelVersion.newBuilder()
            .setModel(settings.modelName())
            .setVersion(version)
            .setParentVersion(currentVersion)
            .setOrigin(origin)
            .setPublishedAtMs(nowMs)
            .setExamplesSeen(snapshot.examplesLearned())
            .putAllInputOffsets(nextOffsets)
            .putAllMetrics(versionMetrics)
            .setNote(note);
        VersionAssembler.Assembled assembled = assembler.assemble(builder, snapshot, lineage, extraHyperparameters,
            metrics.windowState(), nowMs);
        double accuracy = versionMetrics.getOrDefault(PrequentialMetrics.ACCURACY_SINCE_PARENT, Double.NaN);
        long since = versionMetrics.getOrDefault(PrequentialMetrics.EXAMPLES_SINCE_PARENT, 0.0).longValue();
        List<Long> expired = registry.expiredBy(version, retainedVersions);
        ModelVersion stripped = registry.checkpointToStrip()
            .filter(previous -> !expired.contains(previous.getVersion())).orElse(null);
        return new PendingVersion(assembled.version(), assembled.newSchema(), snapshot, since, accuracy, stripped,
            expired);
    }

    /**
     * From now on, versions are published in the packed form (a {@link ModelSchema} per schema, numbers per version)
     * instead of carrying a whole Tribuo model. The caller turns it on when the model-schemas topic exists.
     */
    void publishPacked() {
        assembler.publishPacked();
    }

    /** Takes note of a schema read from the model-schemas topic (including this trainer's own). */
    void onSchema(ModelSchema schema) {
        assembler.onSchema(schema);
    }

    /** Confirms that a prepared version is in the registry: it becomes the current version. */
    void published(PendingVersion pending, long nowMs) {
        ModelVersion mv = pending.version();
        assembler.published(mv, pending.schema());
        pending.expired().forEach(registry::forget);
        if (pending.stripped() != null) {
            registry.record(pending.stripped(), true);
        }
        registry.record(mv, true);
        snapshots.keep(mv.getVersion(), pending.snapshot());
        if (mv.getOrigin() == ModelVersion.Origin.RETRAIN) {
            // The retrained state replaces the online one only once its version exists.
            learner = pending.snapshot().copy();
        }
        currentVersion = mv.getVersion();
        pendingNote = "";
        afterReset = false;
        versionsPublished++;
        startPeriod();
        lastPublishMs = nowMs;
    }

    /** Takes note of a version read from the models topic (including this trainer's own). */
    void onModelVersion(ModelVersion mv) {
        if (!settings.modelName().equals(mv.getModel())) {
            return;
        }
        if (registry.record(mv, registry.madeHere(mv.getVersion())) == Lineage.Claim.CONFLICTING) {
            log.warn("Model '{}' v{} was published twice with different contents (this one: parent v{}, origin {}); "
                + "another publisher claimed a version number already taken. The newer record counts, as "
                + "compaction will keep it.", mv.getModel(), mv.getVersion(), mv.getParentVersion(), mv.getOrigin());
        }
    }

    /** Takes note of a version deleted from the models topic (a tombstone, including this trainer's own). */
    void onVersionDeleted(long version) {
        registry.forget(version);
    }

    /**
     * Adopts the newest non-barred version if this trainer did not make it and does not already continue from it.
     *
     * @return true if the learning state was replaced
     */
    boolean adoptNewestIfForeign() {
        Optional<Registry.Entry> newest = registry.newestNotBarred();
        if (newest.isEmpty()) {
            return false;
        }
        long version = newest.get().version();
        if (version == currentVersion || registry.madeHere(version) || notAdoptable.contains(version)) {
            return false;
        }
        if (continueFrom(version)) {
            log.info("Adopted model '{}' v{} ({}) from the registry: learning continues from its weights; "
                    + "AdaGrad state restarts and feature statistics come from the model.",
                settings.modelName(), version, newest.get().origin());
            return true;
        }
        notAdoptable.add(version);
        return false;
    }

    /**
     * Restores the learning state and input offsets of the newest checkpoint in the registry, which the trainer
     * wrote in the same transaction as its consumer offsets. If that version has since been barred by a ROLLBACK,
     * the offsets still hold (those examples were learned) but the state comes from the newest version not barred.
     *
     * @return true if a checkpoint was found; otherwise the caller falls back to adopting the newest version
     */
    boolean restoreCheckpoint() {
        Optional<ModelVersion> checkpoint = registry.newestCheckpoint();
        if (checkpoint.isEmpty()) {
            return false;
        }
        ModelVersion mv = checkpoint.get();
        nextOffsets.clear();
        nextOffsets.putAll(mv.getInputOffsetsMap());
        if (!registry.isBarred(mv.getVersion())) {
            Optional<OnlineLearner> restored = recovery.fromCheckpoint(mv.getVersion(), mv.getLearnerState());
            restored.ifPresent(state -> {
                replaceState(state, mv.getVersion());
                metrics.restoreWindow(mv.getLearnerState().getEvaluationState().toByteArray());
                log.info("Resumed model '{}' from the checkpoint in v{}: {} examples learned, reading {} from "
                        + "offsets {}.", settings.modelName(), mv.getVersion(),
                    mv.getLearnerState().getExamplesLearned(), settings.trainingTopic(), mv.getInputOffsetsMap());
            });
            return restored.isPresent();
        }
        Optional<Registry.Entry> newest = registry.newestNotBarred();
        if (newest.isPresent() && continueFrom(newest.get().version())) {
            log.info("Resumed model '{}' at the offsets of v{}'s checkpoint ({}), but v{} is barred by a rollback: "
                    + "learning continues from v{}.", settings.modelName(), mv.getVersion(), mv.getInputOffsetsMap(),
                mv.getVersion(), newest.get().version());
        } else {
            replaceState(recovery.fresh(), 0);
            log.warn("Resumed model '{}' at the offsets of v{}'s checkpoint ({}), but v{} is barred and no "
                    + "version to continue from remains: learning starts afresh.", settings.modelName(),
                mv.getVersion(), mv.getInputOffsetsMap(), mv.getVersion());
        }
        return true;
    }

    /** Continues from a version as the registry holds it (checkpoint, else weights); false (logged) if it cannot. */
    boolean continueFrom(long version) {
        Optional<OnlineLearner> state = recovery.fromVersion(version);
        state.ifPresent(s -> replaceState(s, version));
        return state.isPresent();
    }

    /** Continues from a version's in-memory snapshot; false when it is not kept. */
    boolean continueFromSnapshot(long version) {
        OnlineLearner snapshot = snapshots.copyOf(version);
        if (snapshot != null) {
            replaceState(snapshot, version);
        }
        return snapshot != null;
    }

    /** Replaces the learning state (by RESET) with a fresh one that continues no version. */
    void startAfresh(String note) {
        replaceState(recovery.fresh(), 0);
        learning.clearMetrics();
        pendingNote = note;
        afterReset = true;
    }

    private void replaceState(OnlineLearner state, long version) {
        learner = state;
        currentVersion = version;
        startPeriod();
    }

    /** The examples since the parent version are none yet. */
    private void startPeriod() {
        learning.resetSinceParent();
        oldestUnpublishedMs = -1;
    }

    /**
     * What a command did: its outcome for the acknowledgement, a sentence for people, and the version to publish
     * if it asked for one (a RETRAIN's). Commands read at startup, and commands for serving, are not acknowledged.
     */
    record CommandResult(boolean acknowledge, CommandAck.Outcome outcome, String detail,
                         Optional<PendingVersion> version) {
        static CommandResult unacknowledged() {
            return new CommandResult(false, CommandAck.Outcome.OUTCOME_UNSPECIFIED, "", Optional.empty());
        }

        static CommandResult ok(String detail) {
            return new CommandResult(true, CommandAck.Outcome.OK, detail, Optional.empty());
        }

        static CommandResult refused(String detail) {
            return new CommandResult(true, CommandAck.Outcome.REFUSED, detail, Optional.empty());
        }
    }

    /**
     * Applies a command (see {@link CommandRules#handling}). Commands read while catching up at startup
     * ({@code live == false}) only restore state that commands leave behind (barring by ROLLBACK, PAUSE/RESUME);
     * live ones also restore, retrain or reset.
     */
    CommandResult onCommand(Command command, long nowMs, boolean live) {
        return commands.apply(this, command, nowMs, live);
    }

    /**
     * At startup: a RESET acknowledged after the newest checkpoint was published never reached a version, so the
     * restored state predates it; it is applied again (not acknowledged again).
     */
    void resetAgainIfUnpublished(Command reset, long acknowledgedAtMs) {
        long checkpointAt = registry.newestCheckpoint().map(ModelVersion::getPublishedAtMs).orElse(0L);
        if (CommandRules.resetNeedsRepeating(checkpointAt, acknowledgedAtMs)) {
            commands.reset(this, reset);
        }
    }

    /** True while a PAUSE command (the last of PAUSE/RESUME) holds: the caller reads no training examples. */
    boolean paused() {
        return commands.pauseState().paused();
    }

    /** The id of the PAUSE command that holds, or empty. */
    String pausedBy() {
        return commands.pauseState().pausedBy();
    }

    /** Bars a version and its descendants (a ROLLBACK's target): they are never adopted or continued from. */
    void bar(long version) {
        registry.bar(version);
    }

    /** A fresh learner that learned the retrain window (a RETRAIN's state); empty while the window holds none. */
    Optional<TestThenTrain.Retrained> retrainFromWindow() {
        return learning.retrain(recovery.fresh());
    }

    /** Next offset to read per partition of the training topic, covering every example taken into account. */
    Map<Integer, Long> nextOffsets() {
        return Map.copyOf(nextOffsets);
    }

    String modelName() {
        return settings.modelName();
    }

    TrainerStats stats() {
        return new TrainerStats(learning.examplesLearned(), learning.skipped(), versionsPublished, currentVersion,
            metrics.windowAccuracy(), metrics.windowSize());
    }

    /** The current learning state, for tests; the caller must be the owning thread. */
    OnlineLearner learner() {
        return learner;
    }

    long currentVersion() {
        return currentVersion;
    }
}
