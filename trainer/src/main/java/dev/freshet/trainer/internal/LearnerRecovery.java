package dev.freshet.trainer.internal;

import java.util.Optional;

import com.oracle.labs.mlrg.olcut.provenance.primitives.LongProvenance;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.Model;

/**
 * Rebuilds a learning state from what the registry holds about a version: its checkpoint when it has one (the
 * complete state), else its published Tribuo model (weights and feature statistics; the optimiser restarts). Each
 * problem is logged as a warning naming the model and version, and the caller keeps its state. Not thread-safe.
 */
final class LearnerRecovery {
    private static final Logger log = LoggerFactory.getLogger(LearnerRecovery.class);

    private final LearningSession.Settings settings;
    private final Registry registry;
    private final VersionAssembler assembler;

    LearnerRecovery(LearningSession.Settings settings, Registry registry, VersionAssembler assembler) {
        this.settings = settings;
        this.registry = registry;
        this.assembler = assembler;
    }

    /** A learner that has learned nothing yet, as configured. */
    OnlineLearner fresh() {
        return settings.freshLearner();
    }

    /** The learner a version's checkpoint holds, or empty (logged) when it cannot be restored. */
    Optional<OnlineLearner> fromCheckpoint(long version, LearnerState state) {
        LearnerCheckpoint.Restored restored;
        try {
            restored = LearnerCheckpoint.restore(assembler.withFeatureNames(state), settings.labels(),
                settings.objective(), settings.optimiser(), settings.l2());
        } catch (IllegalArgumentException e) {
            log.warn("Cannot restore model '{}' from the checkpoint in v{}: {}.", settings.modelName(), version,
                e.getMessage());
            return Optional.empty();
        }
        if (!restored.optimiserStateRestored()) {
            log.warn("Restored model '{}' v{}'s weights and feature statistics, but not its optimiser state ({}); "
                + "the optimiser starts afresh.", settings.modelName(), version, restored.optimiserStateProblem());
        }
        return Optional.of(restored.learner());
    }

    /** The learner to continue a version with: from its checkpoint, else from its Tribuo model; empty if neither. */
    Optional<OnlineLearner> fromVersion(long version) {
        Optional<LearnerState> state = registry.learnerState(version);
        if (state.isPresent()) {
            return fromCheckpoint(version, state.get());
        }
        Optional<Model<?>> stored;
        try {
            stored = storedModel(version);
        } catch (RuntimeException e) {
            log.warn("Cannot continue model '{}' from v{}: {}", settings.modelName(), version, e.getMessage());
            return Optional.empty();
        }
        if (stored.isEmpty()) {
            log.warn("Cannot continue model '{}' from v{}: its serialized model is not in the registry.",
                settings.modelName(), version);
            return Optional.empty();
        }
        try {
            Model<?> model = stored.get();
            TribuoModels.Extracted extracted = TribuoModels.fromTribuo(model, settings.labels());
            if (!extracted.droppedLabels().isEmpty()) {
                log.warn("Model '{}' v{} predicts labels {} the trainer does not know (trainer.labels = {}); "
                    + "their weights are dropped.", settings.modelName(), version, extracted.droppedLabels(),
                    settings.labels());
            }
            OnlineLearner adopted = fresh();
            long examples = model.getProvenance().getInstanceProvenance().getMap()
                .get("freshet-examples-seen") instanceof LongProvenance seen ? seen.getValue() : 0L;
            adopted.adopt(extracted.model(), examples);
            return Optional.of(adopted);
        } catch (RuntimeException e) {
            log.warn("Cannot continue model '{}' from v{}: {}", settings.modelName(), version, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * A version's Tribuo model: whole, or rebuilt from its packed numbers and schema (a version older than the
     * newest keeps only these once a newer one carries the checkpoint); empty when the registry no longer has it.
     */
    private Optional<Model<?>> storedModel(long version) {
        Optional<byte[]> bytes = registry.model(version);
        if (bytes.isPresent()) {
            return Optional.of(TribuoModels.deserialize(bytes.get()));
        }
        Optional<ModelVersion> packed = registry.recent(version).filter(mv -> !mv.getSchemaId().isEmpty());
        if (packed.isEmpty()) {
            return Optional.empty();
        }
        Optional<ModelSchema> schema = assembler.schema(packed.get().getSchemaId());
        if (schema.isEmpty()) {
            throw new IllegalArgumentException("its schema " + packed.get().getSchemaId()
                + " is not among the recent schemas read from the model-schemas topic");
        }
        return Optional.of(PackedVersions.toTribuo(schema.get(), packed.get()));
    }
}
