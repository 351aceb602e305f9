package dev.freshet.trainer.internal;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import com.google.protobuf.ByteString;
import dev.freshet.contracts.Lineage;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.registry.v1.SpecLineage;
import dev.freshet.trainer.TrainerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.Model;
import org.tribuo.regression.sgd.RegressionObjective;

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
    static final String SKIP_NON_NUMERIC_LABEL = "non_numeric_label";
    private static final int METRICS_WINDOW = 1000;
    private static final int SNAPSHOTS_KEPT = 100;
    // Snapshots are kept for rollbacks to recent versions; with many features each is large (~17 MB at 100k
    // features and two labels), so their features together are bounded too. A rollback further back restores
    // from the registry's checkpoint instead.
    private static final long SNAPSHOT_FEATURES_KEPT = 1_000_000;
    private static final int MODELS_KEPT = 200;
    private static final long MODEL_BYTES_KEPT = 256L << 20;
    private static final int SCHEMAS_KEPT = 32;

    /** What the session needs from the configuration. */
    public record Settings(String modelName, List<String> labels, Objective objective, Optimiser.Settings optimiser,
                           double l2, int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                           int retrainEpochs, String trainingTopic, SpecLineage spec, double huberDelta) {
        /** Settings from the trainer.* keys alone, without a model spec. */
        public Settings(String modelName, List<String> labels, Objective objective, Optimiser.Settings optimiser,
                        double l2, int publishEveryExamples, long publishIntervalMs, int retrainWindowExamples,
                        int retrainEpochs, String trainingTopic) {
            this(modelName, labels, objective, optimiser, l2, publishEveryExamples, publishIntervalMs,
                retrainWindowExamples, retrainEpochs, trainingTopic, null, 1.0);
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

    /** A version ready to send; nothing changes in the session until {@link #published} confirms it. */
    public record PendingVersion(ModelVersion version, ModelSchema schema, OnlineLearner snapshot,
                                 long examplesSinceParent, double accuracySinceParent) {
        /** The schema to publish before the version (in the same transaction), or empty when it is out already. */
        public Optional<ModelSchema> newSchema() {
            return Optional.ofNullable(schema);
        }
    }

    private final Settings settings;
    private final Registry registry = new Registry(MODELS_KEPT, MODEL_BYTES_KEPT);
    private final Evaluation metrics;
    /** Exactly one of these two is set, by the task; {@link #metrics} is the same object. */
    private final PrequentialMetrics classMetrics;
    private final RegressionMetrics valueMetrics;
    private final boolean regression;
    private final RegressionObjective regressionLoss;
    private final ExampleWindow window;
    private final Map<Long, OnlineLearner> snapshots = new LinkedHashMap<>();
    private long snapshotFeatures;
    private final TreeMap<Integer, Long> nextOffsets = new TreeMap<>();
    private final Map<String, Long> skipped = new HashMap<>();
    private final Set<String> unknownLabelsWarned = new HashSet<>();
    private final Set<Long> notAdoptable = new HashSet<>();
    /** Recent schemas by id, for restoring packed checkpoints (a schema can hold 100k feature names). */
    private final Map<String, ModelSchema> schemas = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ModelSchema> eldest) {
            return size() > SCHEMAS_KEPT;
        }
    };
    private boolean packed;
    /** The schema of the last version published, whose names are compared first (cheaply: same strings). */
    private String lastSchemaId = "";
    private List<String> lastSchemaNames = List.of();

    private OnlineLearner learner;
    private long currentVersion;
    private long examplesSeen;
    private long versionsPublished;
    private long lastPublishMs;
    private boolean paused;
    private boolean warnedNonNumericLabel;
    private String pausedBy = "";
    /** The note of the next ONLINE version (after a RESET), or empty. */
    private String pendingNote = "";

    public LearningSession(Settings settings, long nowMs) {
        this.settings = settings;
        this.regression = settings.objective().regression();
        if (regression && !settings.labels().equals(Settings.REGRESSION_OUTPUT)) {
            throw new IllegalArgumentException("A regression's labels are " + Settings.REGRESSION_OUTPUT + ", got "
                + settings.labels());
        }
        this.regressionLoss = regression ? settings.objective().tribuoRegression(settings.huberDelta()) : null;
        this.classMetrics = regression ? null : new PrequentialMetrics(METRICS_WINDOW, settings.labels().size());
        this.valueMetrics = regression ? new RegressionMetrics(METRICS_WINDOW) : null;
        this.metrics = regression ? valueMetrics : classMetrics;
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
        if (regression) {
            learnValue(example, partition, offset);
            return;
        }
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
        if (!finiteFeatures(example, partition, offset)) {
            return;
        }
        Map<String, Double> features = example.getFeaturesMap();
        classMetrics.record(learner.learn(features, labelId, true));
        window.add(new ExampleWindow.Entry(features, labelId, example.getLabelArrivedAtMs()));
        examplesSeen++;
    }

    /** False, with the example counted as skipped, when a feature is NaN or infinite: it would poison the weights. */
    private boolean finiteFeatures(TrainingExample example, int partition, long offset) {
        for (Map.Entry<String, Double> e : example.getFeaturesMap().entrySet()) {
            if (!Double.isFinite(e.getValue())) {
                skip(SKIP_NON_FINITE);
                log.debug("Skipped training example '{}' (partition {}, offset {}): feature '{}' is {}.",
                    example.getRequestId(), partition, offset, e.getKey(), e.getValue());
                return false;
            }
        }
        return true;
    }

    private void learnValue(TrainingExample example, int partition, long offset) {
        double target = target(example);
        if (!Double.isFinite(target)) {
            skip(SKIP_NON_NUMERIC_LABEL);
            if (!warnedNonNumericLabel) {
                warnedNonNumericLabel = true;
                log.warn("Skipped a training example for regression model '{}' with label '{}' (request '{}', "
                        + "partition {}, offset {}): a regression learns from a finite number. Further such examples "
                        + "are counted in the stats without a warning.", settings.modelName(), example.getLabel(),
                    example.getRequestId(), partition, offset);
            }
            return;
        }
        if (!finiteFeatures(example, partition, offset)) {
            return;
        }
        Map<String, Double> features = example.getFeaturesMap();
        valueMetrics.record(learner.learnValue(features, target, regressionLoss, true), target);
        window.add(new ExampleWindow.Entry(features, 0, target, example.getLabelArrivedAtMs()));
        examplesSeen++;
    }

    /** The example's label as a number, or NaN when it is not one. */
    private static double target(TrainingExample example) {
        try {
            return Double.parseDouble(example.getLabel().trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * Puts an example the restored state already learned back into the retrain window, without learning it or
     * counting it (after a restart, the window is refilled from the examples before the checkpoint's offsets).
     */
    public void remember(TrainingExample example) {
        if (regression) {
            double target = target(example);
            if (Double.isFinite(target)
                    && example.getFeaturesMap().values().stream().allMatch(Double::isFinite)) {
                window.add(new ExampleWindow.Entry(example.getFeaturesMap(), 0, target,
                    example.getLabelArrivedAtMs()));
            }
            return;
        }
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
        return prepare(learner.copy(), ModelVersion.Origin.ONLINE, pendingNote, metrics.asVersionMetrics(),
            Map.of(), nowMs);
    }

    private PendingVersion prepare(OnlineLearner snapshot, ModelVersion.Origin origin, String note,
                                   Map<String, Double> versionMetrics, Map<String, String> extraHyperparameters,
                                   long nowMs) {
        long version = registry.highestVersion() + 1;
        TribuoModels.Lineage lineage = new TribuoModels.Lineage(settings.modelName(), version, currentVersion,
            origin.name(), snapshot.examplesLearned(), settings.trainingTopic(), Map.copyOf(nextOffsets),
            settings.spec() == null ? "" : settings.spec().getName() + " v" + settings.spec().getVersion() + " sha256 "
                + settings.spec().getSha256(),
            settings.spec() == null ? "" : settings.spec().getFeatureView() + " v"
                + settings.spec().getFeatureViewVersion());
        Map<String, String> hyperparameters = new LinkedHashMap<>();
        hyperparameters.put("objective", settings.objective().configName);
        hyperparameters.putAll(settings.optimiser().describe());
        hyperparameters.put("l2", Double.toString(settings.l2()));
        hyperparameters.put("standardisation", "online mean/variance per feature, folded into the weights");
        hyperparameters.put("task", regression ? "regression" : "classification");
        if (regression) {
            if (settings.objective() == Objective.HUBER) {
                hyperparameters.put("huber_delta", Double.toString(settings.huberDelta()));
            }
        } else {
            hyperparameters.put("labels", String.join(",", settings.labels()));
        }
        if (settings.spec() != null) {
            hyperparameters.put("spec", settings.spec().getName() + " v" + settings.spec().getVersion() + " ("
                + settings.spec().getSource() + ")");
            hyperparameters.put("feature_view", settings.spec().getFeatureView() + " v"
                + settings.spec().getFeatureViewVersion());
        }
        hyperparameters.putAll(extraHyperparameters);
        ModelVersion.Builder builder = ModelVersion.newBuilder()
            .setModel(settings.modelName())
            .setVersion(version)
            .setParentVersion(currentVersion)
            .setOrigin(origin)
            .setPublishedAtMs(nowMs)
            .setExamplesSeen(snapshot.examplesLearned())
            .putAllInputOffsets(nextOffsets)
            .putAllMetrics(versionMetrics)
            .putAllHyperparameters(hyperparameters)
            .setNote(note);
        LearnerState state = LearnerCheckpoint.write(snapshot);
        RawModel raw = RawModels.fold(snapshot);
        Instant now = Instant.ofEpochMilli(nowMs);
        ModelSchema newSchema = null;
        if (packed) {
            // The domains go out once per schema; a version carries only numbers and names its schema.
            String schemaId = schemaIdOf(state.getFeatureNamesList());
            if (!schemaId.equals(lastSchemaId) && !schemas.containsKey(schemaId)) {
                newSchema = PackedVersions.schema(settings.modelName(), schemaId, task(), settings.labels(),
                    state.getFeatureNamesList(), nowMs);
            }
            PackedVersions.pack(builder, schemaId, raw, TribuoModels.provenance(raw, lineage, settings.objective(),
                settings.optimiser(), settings.l2(), settings.huberDelta(), now));
            state = state.toBuilder().clearFeatureNames().setSchemaId(schemaId).build();
        } else {
            builder.setTribuoModel((regression
                ? TribuoModels.toTribuoRegression(raw, lineage, settings.objective(), settings.optimiser(),
                    settings.l2(), settings.huberDelta(), now)
                : TribuoModels.toTribuo(raw, lineage, settings.objective(), settings.optimiser(), settings.l2(),
                    now)).serialize().toByteString());
        }
        builder.setLearnerState(state.toBuilder().setEvaluationState(ByteString.copyFrom(metrics.windowState())));
        if (settings.spec() != null) {
            builder.setSpec(settings.spec());
        }
        ModelVersion mv = builder.build();
        double accuracy = versionMetrics.getOrDefault(PrequentialMetrics.ACCURACY_SINCE_PARENT, Double.NaN);
        long since = versionMetrics.getOrDefault(PrequentialMetrics.EXAMPLES_SINCE_PARENT, 0.0).longValue();
        return new PendingVersion(mv, newSchema, snapshot, since, accuracy);
    }

    /** The last schema's id when the names are still its names (compared first: usually the same strings). */
    private String schemaIdOf(List<String> names) {
        return !lastSchemaId.isEmpty() && names.equals(lastSchemaNames) ? lastSchemaId
            : PackedVersions.schemaId(task(), settings.labels(), names);
    }

    private String task() {
        return regression ? PackedVersions.REGRESSION : PackedVersions.CLASSIFICATION;
    }

    /**
     * From now on, versions are published in the packed form (a {@link ModelSchema} per schema, numbers per version)
     * instead of carrying a whole Tribuo model. The caller turns it on when the model-schemas topic exists.
     */
    public void publishPacked() {
        packed = true;
    }

    /** Takes note of a schema read from the model-schemas topic (including this trainer's own). */
    public void onSchema(ModelSchema schema) {
        if (settings.modelName().equals(schema.getModel())) {
            schemas.put(schema.getSchemaId(), schema);
        }
    }

    /**
     * A checkpoint with its feature names: a packed one names its schema instead of carrying them.
     *
     * @throws IllegalArgumentException if the schema is unknown here or does not fit
     */
    private LearnerState withFeatureNames(LearnerState state) {
        if (state.getSchemaId().isEmpty()) {
            return state;
        }
        ModelSchema schema = schemas.get(state.getSchemaId());
        if (schema == null) {
            throw new IllegalArgumentException("its schema " + state.getSchemaId() + " is not among the "
                + schemas.size() + " recent schemas read from the model-schemas topic");
        }
        return state.toBuilder().addAllFeatureNames(schema.getFeatureNamesList()).build();
    }

    /** Confirms that a prepared version is in the registry: it becomes the current version. */
    public void published(PendingVersion pending, long nowMs) {
        ModelVersion mv = pending.version();
        pending.newSchema().ifPresent(this::onSchema);
        if (!mv.getSchemaId().isEmpty()) {
            ModelSchema schema = schemas.get(mv.getSchemaId());
            lastSchemaId = mv.getSchemaId();
            lastSchemaNames = schema == null ? List.of() : schema.getFeatureNamesList();
        }
        registry.record(mv, true);
        keepSnapshot(mv.getVersion(), pending.snapshot());
        if (mv.getOrigin() == ModelVersion.Origin.RETRAIN) {
            // The retrained state replaces the online one only once its version exists.
            learner = pending.snapshot().copy();
        }
        currentVersion = mv.getVersion();
        pendingNote = "";
        versionsPublished++;
        metrics.resetSinceParent();
        lastPublishMs = nowMs;
    }

    private void keepSnapshot(long version, OnlineLearner snapshot) {
        OnlineLearner replaced = snapshots.put(version, snapshot);
        snapshotFeatures += snapshot.numFeatures() - (replaced == null ? 0 : replaced.numFeatures());
        Iterator<OnlineLearner> oldestFirst = snapshots.values().iterator();
        while (snapshots.size() > 1
                && (snapshots.size() > SNAPSHOTS_KEPT || snapshotFeatures > SNAPSHOT_FEATURES_KEPT)) {
            snapshotFeatures -= oldestFirst.next().numFeatures();
            oldestFirst.remove();
        }
    }

    /** Takes note of a version read from the models topic (including this trainer's own). */
    public void onModelVersion(ModelVersion mv) {
        if (!settings.modelName().equals(mv.getModel())) {
            return;
        }
        if (registry.record(mv, registry.madeHere(mv.getVersion())) == Lineage.Claim.CONFLICTING) {
            log.warn("Model '{}' v{} was published twice with different contents (this one: parent v{}, origin {}); "
                + "another publisher claimed a version number already taken. The newer record counts, as "
                + "compaction will keep it.", mv.getModel(), mv.getVersion(), mv.getParentVersion(), mv.getOrigin());
        }
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
        LearnerCheckpoint.Restored restored;
        try {
            restored = LearnerCheckpoint.restore(withFeatureNames(state), settings.labels(), settings.objective(),
                settings.optimiser(), settings.l2());
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
     * What a command did: its outcome for the acknowledgement, a sentence for people, and the version to publish
     * if it asked for one (a RETRAIN's). Commands read at startup, and commands for serving, are not acknowledged.
     */
    public record CommandResult(boolean acknowledge, CommandAck.Outcome outcome, String detail,
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
     * Applies a command. Commands read while catching up at startup ({@code live == false}) only restore state
     * that commands leave behind (barring by ROLLBACK, PAUSE/RESUME); live ones also restore, retrain or reset.
     */
    public CommandResult onCommand(Command command, long nowMs, boolean live) {
        switch (command.getType()) {
            case ROLLBACK -> {
                String detail = rollback(command, live);
                return live ? CommandResult.ok(detail) : CommandResult.unacknowledged();
            }
            case RETRAIN -> {
                return live ? retrain(command, nowMs) : CommandResult.unacknowledged();
            }
            case RESET -> {
                return live ? reset(command) : CommandResult.unacknowledged();
            }
            case PAUSE, RESUME -> {
                CommandResult result = pauseOrResume(command, live);
                return live ? result : CommandResult.unacknowledged();
            }
            // Serving's own decisions: what it serves, not what the trainer learns.
            case PIN, UNPIN, PROMOTE -> log.debug("Command '{}' ({}) is for serving; the trainer goes on.",
                command.getCommandId(), command.getType());
            default -> log.warn("Ignored command '{}' for model '{}' of unknown type {}.", command.getCommandId(),
                settings.modelName(), command.getTypeValue());
        }
        return CommandResult.unacknowledged();
    }

    private String rollback(Command command, boolean live) {
        long target = command.getTargetVersion();
        long restore = command.getRestoreVersion();
        registry.bar(target);
        if (!live) {
            return "";
        }
        OnlineLearner snapshot = snapshots.get(restore);
        if (snapshot != null) {
            replaceState(snapshot.copy(), restore);
            log.info("Rolled model '{}' back: barred v{} and its descendants, restored the learning state of v{} "
                + "from memory. Reason: {}", settings.modelName(), target, restore, command.getReason());
            return "barred v" + target + " and its descendants; learning continues from v" + restore;
        } else if (restore > 0 && adopt(restore)) {
            log.info("Rolled model '{}' back: barred v{} and its descendants, continued from v{}'s published weights "
                + "(no in-memory snapshot: from its checkpoint if it has one, else from its weights). Reason: {}",
                settings.modelName(), target,
                restore, command.getReason());
            return "barred v" + target + " and its descendants; learning continues from v" + restore
                + "'s published state";
        }
        log.warn("Rolled model '{}' back: barred v{} and its descendants, but could not restore v{} (unknown "
            + "here); learning continues from v{}. Reason: {}", settings.modelName(), target, restore,
            currentVersion, command.getReason());
        return "barred v" + target + " and its descendants; v" + restore + " is unknown to the trainer, so "
            + "learning continues from v" + currentVersion;
    }

    private CommandResult reset(Command command) {
        long replaced = currentVersion;
        replaceState(freshLearner(), 0);
        metrics.clear();
        pendingNote = "fresh model after RESET command " + command.getCommandId()
            + (command.getReason().isEmpty() ? "" : ": " + command.getReason());
        log.info("Reset model '{}' as asked by command '{}' from '{}': learning starts afresh from the next example "
                + "(replacing v{}); its next version has no parent. Reason: {}", settings.modelName(),
            command.getCommandId(), command.getIssuedBy(), replaced, command.getReason());
        return CommandResult.ok("the learning state is fresh (it replaced v" + replaced + "); learning goes on "
            + "from the next unread example and the next version has no parent"
            + (paused ? "; the trainer is paused, so learning waits for RESUME" : ""));
    }

    /**
     * At startup: a RESET acknowledged after the newest checkpoint was published never reached a version, so the
     * restored state predates it; it is applied again (not acknowledged again).
     */
    public void resetAgainIfUnpublished(Command reset, long acknowledgedAtMs) {
        long checkpointAt = registry.newestCheckpoint().map(ModelVersion::getPublishedAtMs).orElse(0L);
        if (checkpointAt < acknowledgedAtMs) {
            reset(reset);
        }
    }

    private CommandResult pauseOrResume(Command command, boolean live) {
        boolean pause = command.getType() == Command.Type.PAUSE;
        if (pause == paused) {
            return CommandResult.ok(pause ? "already paused (since command '" + pausedBy + "')"
                : "was not paused; learning goes on");
        }
        paused = pause;
        pausedBy = pause ? command.getCommandId() : "";
        if (live) {
            log.info("{} model '{}' as asked by command '{}' from '{}'. Reason: {}",
                pause ? "Paused learning of" : "Resumed learning of", settings.modelName(), command.getCommandId(),
                command.getIssuedBy(), command.getReason());
        }
        return CommandResult.ok(pause
            ? "paused: no example is read or learned and no version published until RESUME; examples wait in "
                + settings.trainingTopic() + " from offsets " + nextOffsets
            : "resumed: learning goes on from offsets " + nextOffsets);
    }

    /** True while a PAUSE command (the last of PAUSE/RESUME) holds: the caller reads no training examples. */
    public boolean paused() {
        return paused;
    }

    /** The id of the PAUSE command that holds, or empty. */
    public String pausedBy() {
        return pausedBy;
    }

    private CommandResult retrain(Command command, long nowMs) {
        List<ExampleWindow.Entry> examples = window.inTimeOrder();
        if (examples.isEmpty()) {
            log.warn("Cannot retrain model '{}' as asked by command '{}': no examples retained yet. Reason given: {}",
                settings.modelName(), command.getCommandId(), command.getReason());
            return CommandResult.refused("no examples retained yet to retrain from (the window fills as examples "
                + "are learned)");
        }
        OnlineLearner fresh = freshLearner();
        PrequentialMetrics firstPass = regression ? null
            : new PrequentialMetrics(examples.size(), settings.labels().size());
        RegressionMetrics firstPassValues = regression ? new RegressionMetrics(examples.size()) : null;
        for (int epoch = 0; epoch < settings.retrainEpochs(); epoch++) {
            for (ExampleWindow.Entry entry : examples) {
                if (regression) {
                    double predicted = fresh.learnValue(entry.features(), entry.target(), regressionLoss, epoch == 0);
                    if (epoch == 0) {
                        firstPassValues.record(predicted, entry.target());
                    }
                    continue;
                }
                OnlineLearner.Outcome outcome = fresh.learn(entry.features(), entry.labelId(), epoch == 0);
                if (epoch == 0) {
                    firstPass.record(outcome);
                }
            }
        }
        // Metrics of a retrained version are prequential over its first pass through the window.
        Map<String, Double> versionMetrics = regression ? firstPassValues.asVersionMetrics()
            : firstPass.asVersionMetrics();
        versionMetrics.put("retrain_window_examples", (double) examples.size());
        versionMetrics.put("retrain_epochs", (double) settings.retrainEpochs());
        Map<String, String> extra = Map.of("retrain_epochs", Integer.toString(settings.retrainEpochs()),
            "retrain_window_examples", Integer.toString(examples.size()));
        String note = command.getReason().isEmpty() ? "RETRAIN command " + command.getCommandId()
            : command.getReason();
        log.info("Retraining model '{}' from scratch over the last {} examples for {} epochs, as asked by command "
                + "'{}' from '{}'. Reason: {}", settings.modelName(), examples.size(), settings.retrainEpochs(),
            command.getCommandId(), command.getIssuedBy(), command.getReason());
        PendingVersion pending = prepare(fresh, ModelVersion.Origin.RETRAIN, note, versionMetrics, extra, nowMs);
        return new CommandResult(true, CommandAck.Outcome.OK, "published v" + pending.version().getVersion()
            + ", retrained from the last " + examples.size() + " examples over " + settings.retrainEpochs()
            + " epochs", Optional.of(pending));
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
