package dev.freshet.trainer.internal;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import com.google.protobuf.ByteString;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.trainer.TrainerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.Model;

/**
 * The learning state of one model and everything that decides what happens to it: test-then-train on examples,
 * when and what to publish, adoption of versions made elsewhere, ROLLBACK and RETRAIN. Does no I/O; the caller
 * sends what {@link #prepareVersion} returns and confirms with {@link #published}. Not thread-safe: one thread
 * (the trainer's loop) owns it.
 */
final class LearningSession {
    private static final Logger log = LoggerFactory.getLogger(LearningSession.class);
    static final String SKIP_UNKNOWN_LABEL = "unknown_label";
    static final String SKIP_NON_FINITE = "non_finite_feature";
    static final String SKIP_MALFORMED = "malformed";
    private static final int METRICS_WINDOW = 1000;
    private static final int SNAPSHOTS_KEPT = 100;
    private static final int MODELS_KEPT = 200;

    /** What the session needs from the configuration. */
    public record Settings(String modelName, List<String> labels, Objective objective, Optimiser.Settings optimiser,
                           double l2, int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                           int retrainEpochs, String trainingTopic) {
        /** Logistic loss with AdaGrad at {@code learningRate}. */
        public Settings(String modelName, List<String> labels, double learningRate, double l2,
                        int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                        int retrainEpochs, String trainingTopic) {
            this(modelName, labels, Objective.LOGISTIC, Optimiser.Settings.adaGrad(learningRate), l2,
                publishEveryExamples, publishIntervalMs, retrainWindowExamples, retrainEpochs, trainingTopic);
        }
    }

    /** A version ready to send; nothing changes in the session until {@link #published} confirms it. */
    public record PendingVersion(ModelVersion version, OnlineLearner snapshot, long examplesSinceParent,
                                 double accuracySinceParent) {
    }

    private final Settings settings;
    private final Registry registry = new Registry(MODELS_KEPT);
    private final PrequentialMetrics metrics;
    private final ExampleWindow window;
    private final Map<Long, OnlineLearner> snapshots = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, OnlineLearner> eldest) {
            return size() > SNAPSHOTS_KEPT;
        }
    };
    private final TreeMap<Integer, Long> nextOffsets = new TreeMap<>();
    private final Map<String, Long> skipped = new HashMap<>();
    private final Set<String> unknownLabelsWarned = new HashSet<>();
    private final Set<Long> notAdoptable = new HashSet<>();

    private OnlineLearner learner;
    private long currentVersion;
    private long examplesSeen;
    private long versionsPublished;
    private long lastPublishMs;

    public LearningSession(Settings settings, long nowMs) {
        this.settings = settings;
        this.metrics = new PrequentialMetrics(METRICS_WINDOW, settings.labels().size());
        this.learner = freshLearner();
        this.window = new ExampleWindow(settings.retrainWindowExamples());
        this.lastPublishMs = nowMs;
    }

    private OnlineLearner freshLearner() {
        return new OnlineLearner(settings.labels(), settings.objective(), settings.optimiser(), settings.l2());
    }

    /** Test-then-train on one example read from the training topic at (partition, offset). Never throws for bad input. */
    public void learn(TrainingExample example, int partition, long offset) {
        nextOffsets.put(partition, offset + 1);
        int labelId = settings.labels().indexOf(example.getLabel());
        if (labelId < 0) {
            skip(SKIP_UNKNOWN_LABEL);
            if (unknownLabelsWarned.add(example.getLabel())) {
                log.warn("Skipped a training example for model '{}' with label '{}' (request '{}', partition {}, "
                        + "offset {}): the trainer knows only labels {}; set trainer.labels to learn it. Further "
                        + "examples with this label are counted in the stats without a warning.",
                    settings.modelName(), example.getLabel(), example.getRequestId(), partition, offset,
                    settings.labels());
            }
            return;
        }
        Map<String, Double> features = example.getFeaturesMap();
        for (Map.Entry<String, Double> e : features.entrySet()) {
            if (!Double.isFinite(e.getValue())) {
                skip(SKIP_NON_FINITE);
                log.debug("Skipped training example '{}' (partition {}, offset {}): feature '{}' is {}.",
                    example.getRequestId(), partition, offset, e.getKey(), e.getValue());
                return;
            }
        }
        metrics.record(learner.learn(features, labelId, true));
        window.add(new ExampleWindow.Entry(features, labelId, example.getLabelArrivedAtMs()));
        examplesSeen++;
    }

    /**
     * Puts an example the restored state already learned back into the retrain window, without learning it or
     * counting it (after a restart, the window is refilled from the examples before the checkpoint's offsets).
     */
    public void remember(TrainingExample example) {
        int labelId = settings.labels().indexOf(example.getLabel());
        if (labelId < 0 || example.getFeaturesMap().values().stream().anyMatch(v -> !Double.isFinite(v))) {
            return;
        }
        window.add(new ExampleWindow.Entry(example.getFeaturesMap(), labelId, example.getLabelArrivedAtMs()));
    }

    /** Examples the retrain window holds now. */
    public int retainedExamples() {
        return window.size();
    }

    public int retrainWindowCapacity() {
        return settings.retrainWindowExamples();
    }

    /** Counts a record that could not be read as a training example. */
    public void malformed(int partition, long offset, String problem) {
        nextOffsets.put(partition, offset + 1);
        skip(SKIP_MALFORMED);
        log.warn("Skipped an unreadable record on {} partition {} offset {}: {}.", settings.trainingTopic(),
            partition, offset, problem);
    }

    private void skip(String reason) {
        skipped.merge(reason, 1L, Long::sum);
    }

    /** True when enough examples, or enough time with at least one example, passed since the last version. */
    public boolean publishDue(long nowMs) {
        long since = metrics.sinceParent();
        return since >= settings.publishEveryExamples()
            || (since > 0 && nowMs - lastPublishMs >= settings.publishIntervalMs());
    }

    /** Builds the next ONLINE version from the current state. */
    public PendingVersion prepareVersion(long nowMs) {
        return prepare(learner.copy(), ModelVersion.Origin.ONLINE, "", metrics.asVersionMetrics(),
            Map.of(), nowMs);
    }

    private PendingVersion prepare(OnlineLearner snapshot, ModelVersion.Origin origin, String note,
                                   Map<String, Double> versionMetrics, Map<String, String> extraHyperparameters,
                                   long nowMs) {
        long version = registry.highestVersion() + 1;
        TribuoModels.Lineage lineage = new TribuoModels.Lineage(settings.modelName(), version, currentVersion,
            origin.name(), snapshot.examplesLearned(), settings.trainingTopic(), Map.copyOf(nextOffsets));
        byte[] model = TribuoModels.toTribuo(snapshot.toRawModel(), lineage, settings.objective(),
            settings.optimiser(),
            settings.l2(), Instant.ofEpochMilli(nowMs)).serialize().toByteArray();
        Map<String, String> hyperparameters = new LinkedHashMap<>();
        hyperparameters.put("objective", settings.objective().configName);
        hyperparameters.putAll(settings.optimiser().describe());
        hyperparameters.put("l2", Double.toString(settings.l2()));
        hyperparameters.put("standardisation", "online mean/variance per feature, folded into the weights");
        hyperparameters.put("labels", String.join(",", settings.labels()));
        hyperparameters.putAll(extraHyperparameters);
        ModelVersion mv = ModelVersion.newBuilder()
            .setModel(settings.modelName())
            .setVersion(version)
            .setParentVersion(currentVersion)
            .setOrigin(origin)
            .setTribuoModel(ByteString.copyFrom(model))
            .setPublishedAtMs(nowMs)
            .setExamplesSeen(snapshot.examplesLearned())
            .putAllInputOffsets(nextOffsets)
            .putAllMetrics(versionMetrics)
            .putAllHyperparameters(hyperparameters)
            .setNote(note)
            .setLearnerState(snapshot.toState().toBuilder()
                .setEvaluationState(ByteString.copyFrom(metrics.windowState())))
            .build();
        double accuracy = versionMetrics.getOrDefault(PrequentialMetrics.ACCURACY_SINCE_PARENT, Double.NaN);
        long since = versionMetrics.getOrDefault(PrequentialMetrics.EXAMPLES_SINCE_PARENT, 0.0).longValue();
        return new PendingVersion(mv, snapshot, since, accuracy);
    }

    /** Confirms that a prepared version is in the registry: it becomes the current version. */
    public void published(PendingVersion pending, long nowMs) {
        ModelVersion mv = pending.version();
        registry.record(mv, true);
        snapshots.put(mv.getVersion(), pending.snapshot());
        if (mv.getOrigin() == ModelVersion.Origin.RETRAIN) {
            // The retrained state replaces the online one only once its version exists.
            learner = pending.snapshot().copy();
        }
        currentVersion = mv.getVersion();
        versionsPublished++;
        metrics.resetSinceParent();
        lastPublishMs = nowMs;
    }

    /** Takes note of a version read from the models topic (including this trainer's own). */
    public void onModelVersion(ModelVersion mv) {
        if (!settings.modelName().equals(mv.getModel())) {
            return;
        }
        registry.record(mv, registry.madeHere(mv.getVersion()));
    }

    /**
     * Adopts the newest non-barred version if this trainer did not make it and does not already continue from it.
     *
     * @return true if the learning state was replaced
     */
    public boolean adoptNewestIfForeign() {
        Optional<Registry.Entry> newest = registry.newestNotBarred();
        if (newest.isEmpty()) {
            return false;
        }
        long version = newest.get().version();
        if (version == currentVersion || registry.madeHere(version) || notAdoptable.contains(version)) {
            return false;
        }
        if (adopt(version)) {
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
    public boolean restoreCheckpoint() {
        Optional<ModelVersion> checkpoint = registry.newestCheckpoint();
        if (checkpoint.isEmpty()) {
            return false;
        }
        ModelVersion mv = checkpoint.get();
        nextOffsets.clear();
        nextOffsets.putAll(mv.getInputOffsetsMap());
        if (!registry.isBarred(mv.getVersion())) {
            if (restoreState(mv.getVersion(), mv.getLearnerState())) {
                metrics.restoreWindow(mv.getLearnerState().getEvaluationState().toByteArray());
                log.info("Resumed model '{}' from the checkpoint in v{}: {} examples learned, reading {} from "
                        + "offsets {}.", settings.modelName(), mv.getVersion(),
                    mv.getLearnerState().getExamplesLearned(), settings.trainingTopic(), mv.getInputOffsetsMap());
                return true;
            }
            return false;
        }
        Optional<Registry.Entry> newest = registry.newestNotBarred();
        if (newest.isPresent() && adopt(newest.get().version())) {
            log.info("Resumed model '{}' at the offsets of v{}'s checkpoint ({}), but v{} is barred by a rollback: "
                    + "learning continues from v{}.", settings.modelName(), mv.getVersion(), mv.getInputOffsetsMap(),
                mv.getVersion(), newest.get().version());
        } else {
            replaceState(freshLearner(), 0);
            log.warn("Resumed model '{}' at the offsets of v{}'s checkpoint ({}), but v{} is barred and no "
                    + "version to continue from remains: learning starts afresh.", settings.modelName(),
                mv.getVersion(), mv.getInputOffsetsMap(), mv.getVersion());
        }
        return true;
    }

    private boolean restoreState(long version, LearnerState state) {
        OnlineLearner.Restored restored;
        try {
            restored = OnlineLearner.restore(state, settings.labels(), settings.objective(), settings.optimiser(),
                settings.l2());
        } catch (IllegalArgumentException e) {
            log.warn("Cannot restore model '{}' from the checkpoint in v{}: {}.", settings.modelName(), version,
                e.getMessage());
            return false;
        }
        if (!restored.optimiserStateRestored()) {
            log.warn("Restored model '{}' v{}'s weights and feature statistics, but not its optimiser state ({}); "
                + "the optimiser starts afresh.", settings.modelName(), version, restored.optimiserStateProblem());
        }
        replaceState(restored.learner(), version);
        return true;
    }

    private boolean adopt(long version) {
        Optional<LearnerState> state = registry.learnerState(version);
        if (state.isPresent()) {
            return restoreState(version, state.get());
        }
        Optional<byte[]> bytes = registry.model(version);
        if (bytes.isEmpty()) {
            log.warn("Cannot continue model '{}' from v{}: its serialized model is not in the registry.",
                settings.modelName(), version);
            return false;
        }
        try {
            Model<?> model = TribuoModels.deserialize(bytes.get());
            TribuoModels.Extracted extracted = TribuoModels.fromTribuo(model, settings.labels());
            if (!extracted.droppedLabels().isEmpty()) {
                log.warn("Model '{}' v{} predicts labels {} the trainer does not know (trainer.labels = {}); "
                    + "their weights are dropped.", settings.modelName(), version, extracted.droppedLabels(),
                    settings.labels());
            }
            OnlineLearner adopted = freshLearner();
            long examples = model.getProvenance().getInstanceProvenance().getMap()
                .get("freshet-examples-seen") instanceof com.oracle.labs.mlrg.olcut.provenance.primitives
                    .LongProvenance seen ? seen.getValue() : 0L;
            adopted.adopt(extracted.model(), examples);
            replaceState(adopted, version);
            return true;
        } catch (RuntimeException e) {
            log.warn("Cannot continue model '{}' from v{}: {}", settings.modelName(), version, e.getMessage());
            return false;
        }
    }

    private void replaceState(OnlineLearner state, long version) {
        learner = state;
        currentVersion = version;
        metrics.resetSinceParent();
    }

    /**
     * Applies a command. Commands read while catching up at startup ({@code live == false}) only bar versions;
     * live ones also restore or retrain.
     *
     * @return a RETRAIN version to send, if the command asked for one
     */
    public Optional<PendingVersion> onCommand(Command command, long nowMs, boolean live) {
        switch (command.getType()) {
            case ROLLBACK -> rollback(command, live);
            case RETRAIN -> {
                if (live) {
                    return retrain(command, nowMs);
                }
            }
            // Serving's own decisions: what it serves, not what the trainer learns.
            case PIN, UNPIN, PROMOTE -> log.debug("Command '{}' ({}) is for serving; the trainer goes on.",
                command.getCommandId(), command.getType());
            default -> log.warn("Ignored command '{}' for model '{}' of unknown type {}.", command.getCommandId(),
                settings.modelName(), command.getTypeValue());
        }
        return Optional.empty();
    }

    private void rollback(Command command, boolean live) {
        long target = command.getTargetVersion();
        long restore = command.getRestoreVersion();
        registry.bar(target);
        if (!live) {
            return;
        }
        OnlineLearner snapshot = snapshots.get(restore);
        if (snapshot != null) {
            replaceState(snapshot.copy(), restore);
            log.info("Rolled model '{}' back: barred v{} and its descendants, restored the learning state of v{} "
                + "from memory. Reason: {}", settings.modelName(), target, restore, command.getReason());
        } else if (restore > 0 && adopt(restore)) {
            log.info("Rolled model '{}' back: barred v{} and its descendants, continued from v{}'s published weights "
                + "(no in-memory snapshot: from its checkpoint if it has one, else from its weights). Reason: {}",
                settings.modelName(), target,
                restore, command.getReason());
        } else {
            log.warn("Rolled model '{}' back: barred v{} and its descendants, but could not restore v{} (unknown "
                + "here); learning continues from v{}. Reason: {}", settings.modelName(), target, restore,
                currentVersion, command.getReason());
        }
    }

    private Optional<PendingVersion> retrain(Command command, long nowMs) {
        List<ExampleWindow.Entry> examples = window.inTimeOrder();
        if (examples.isEmpty()) {
            log.warn("Cannot retrain model '{}' as asked by command '{}': no examples retained yet. Reason given: {}",
                settings.modelName(), command.getCommandId(), command.getReason());
            return Optional.empty();
        }
        OnlineLearner fresh = freshLearner();
        PrequentialMetrics firstPass = new PrequentialMetrics(examples.size(), settings.labels().size());
        for (int epoch = 0; epoch < settings.retrainEpochs(); epoch++) {
            for (ExampleWindow.Entry entry : examples) {
                OnlineLearner.Outcome outcome = fresh.learn(entry.features(), entry.labelId(), epoch == 0);
                if (epoch == 0) {
                    firstPass.record(outcome);
                }
            }
        }
        // Metrics of a retrained version are prequential over its first pass through the window.
        Map<String, Double> versionMetrics = firstPass.asVersionMetrics();
        versionMetrics.put("retrain_window_examples", (double) examples.size());
        versionMetrics.put("retrain_epochs", (double) settings.retrainEpochs());
        Map<String, String> extra = Map.of("retrain_epochs", Integer.toString(settings.retrainEpochs()),
            "retrain_window_examples", Integer.toString(examples.size()));
        String note = command.getReason().isEmpty() ? "RETRAIN command " + command.getCommandId()
            : command.getReason();
        log.info("Retraining model '{}' from scratch over the last {} examples for {} epochs, as asked by command "
                + "'{}' from '{}'. Reason: {}", settings.modelName(), examples.size(), settings.retrainEpochs(),
            command.getCommandId(), command.getIssuedBy(), command.getReason());
        return Optional.of(prepare(fresh, ModelVersion.Origin.RETRAIN, note, versionMetrics, extra, nowMs));
    }

    /** Next offset to read per partition of the training topic, covering every example taken into account. */
    public Map<Integer, Long> nextOffsets() {
        return Map.copyOf(nextOffsets);
    }

    public String modelName() {
        return settings.modelName();
    }

    public TrainerStats stats() {
        return new TrainerStats(examplesSeen, skipped, versionsPublished, currentVersion,
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
