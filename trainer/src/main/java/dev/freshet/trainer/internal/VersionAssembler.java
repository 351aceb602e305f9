package dev.freshet.trainer.internal;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.google.protobuf.ByteString;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;

/**
 * Gives a model version its body: the hyperparameters it was learned with, the model (a whole Tribuo model, or the
 * packed form: numbers per version, the domains in a {@link ModelSchema} sent once per schema) and the checkpoint.
 * Knows the schemas read from the model-schemas topic, to send a schema only when it is new and to give a packed
 * checkpoint back its feature names. Not thread-safe.
 */
final class VersionAssembler {
    private static final int SCHEMAS_KEPT = 32;

    private final LearningSession.Settings settings;
    private final boolean regression;
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

    VersionAssembler(LearningSession.Settings settings) {
        this.settings = settings;
        this.regression = settings.objective().regression();
    }

    /** A version's body is built, and the schema to send before it, or null when it is out already. */
    record Assembled(ModelVersion version, ModelSchema newSchema) {
    }

    /**
     * Completes a version whose lineage, metrics and note the builder holds with the snapshot's model and checkpoint.
     *
     * @param evaluationState the prequential window, carried in the checkpoint
     */
    Assembled assemble(ModelVersion.Builder builder, OnlineLearner snapshot, TribuoModels.Lineage lineage,
                       Map<String, String> extraHyperparameters, byte[] evaluationState, long nowMs) {
        builder.putAllHyperparameters(hyperparameters(extraHyperparameters));
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
        builder.setLearnerState(state.toBuilder().setEvaluationState(ByteString.copyFrom(evaluationState)));
        if (settings.spec() != null) {
            builder.setSpec(settings.spec());
        }
        return new Assembled(builder.build(), newSchema);
    }

    private Map<String, String> hyperparameters(Map<String, String> extra) {
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
        hyperparameters.putAll(extra);
        return hyperparameters;
    }

    /** The last schema's id when the names are still its names (compared first: usually the same strings). */
    private String schemaIdOf(List<String> names) {
        return !lastSchemaId.isEmpty() && names.equals(lastSchemaNames) ? lastSchemaId
            : PackedVersions.schemaId(task(), settings.labels(), names);
    }

    private String task() {
        return regression ? PackedVersions.REGRESSION : PackedVersions.CLASSIFICATION;
    }

    /** From now on, versions are assembled in the packed form. */
    void publishPacked() {
        packed = true;
    }

    /** Takes note of a schema read from the model-schemas topic (including this trainer's own). */
    void onSchema(ModelSchema schema) {
        if (settings.modelName().equals(schema.getModel())) {
            schemas.put(schema.getSchemaId(), schema);
        }
    }

    /** Takes note that a version (and its new schema, or null) is in the registry. */
    void published(ModelVersion mv, ModelSchema newSchema) {
        if (newSchema != null) {
            onSchema(newSchema);
        }
        if (!mv.getSchemaId().isEmpty()) {
            ModelSchema schema = schemas.get(mv.getSchemaId());
            lastSchemaId = mv.getSchemaId();
            lastSchemaNames = schema == null ? List.of() : schema.getFeatureNamesList();
        }
    }

    /** A recent schema read from the model-schemas topic (or published here), by id. */
    Optional<ModelSchema> schema(String schemaId) {
        return Optional.ofNullable(schemas.get(schemaId));
    }

    /**
     * A checkpoint with its feature names: a packed one names its schema instead of carrying them.
     *
     * @throws IllegalArgumentException if the schema is unknown here or does not fit
     */
    LearnerState withFeatureNames(LearnerState state) {
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
}
