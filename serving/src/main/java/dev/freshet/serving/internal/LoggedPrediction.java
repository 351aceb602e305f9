package dev.freshet.serving.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.freshet.proto.serving.v1.ModelRole;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;

/**
 * One served prediction, as handed to the {@link PredictionLog}: what the handler knew when it answered, encoded
 * as a {@link PredictionLogEntry} later, on the log's writer thread.
 *
 * <p>The entry is written field by field instead of through {@code PredictionLogEntry.Builder}: copying the
 * features into the builder's map and serialising its map entries took a third of the writer's time, and the
 * writer shares the machine's cores with scoring. The bytes parse as the entry the builder would have made
 * (LoggedPredictionTest holds them to that); like the generated code, fields at their default are left out.
 */
final class LoggedPrediction {
    // Each entry of a map<string, double> is a message with the key as field 1 and the value as field 2.
    private static final int MAP_KEY = 1;
    private static final int MAP_VALUE = 2;

    private final String requestId;
    private final String entityId;
    private final Map<String, Double> features;
    private final boolean entityKnown;
    private final String modelName;
    private final long servedAtMs;
    // The rest describe the answer; a prediction nobody could answer (no model yet) has none.
    private final long modelVersion;
    private final ModelRole role;
    private final boolean shadow;
    private final Prediction<Label> prediction;
    private final boolean regression;

    private LoggedPrediction(String requestId, String entityId, Map<String, Double> features, boolean entityKnown,
                             String modelName, long servedAtMs, long modelVersion, ModelRole role, boolean shadow,
                             Prediction<Label> prediction, boolean regression) {
        this.requestId = requestId;
        this.entityId = entityId;
        this.features = features;
        this.entityKnown = entityKnown;
        this.modelName = modelName;
        this.servedAtMs = servedAtMs;
        this.modelVersion = modelVersion;
        this.role = role;
        this.shadow = shadow;
        this.prediction = prediction;
        this.regression = regression;
    }

    /**
     * A request no version could answer yet (model_version 0): the label join still needs its features to make the
     * examples that train the first version.
     *
     * @param features owned by this entry from now on; never modified again
     */
    static LoggedPrediction unanswered(String requestId, String entityId, Map<String, Double> features,
                                       boolean entityKnown, String modelName, long servedAtMs) {
        return new LoggedPrediction(requestId, entityId, features, entityKnown, modelName, servedAtMs, 0,
            ModelRole.MODEL_ROLE_UNSPECIFIED, false, null, false);
    }

    /**
     * A prediction of {@code model}: the answer given to the caller, or with {@code shadow} the challenger's
     * opinion logged beside it.
     *
     * @param features owned by this entry from now on; never modified again
     */
    static LoggedPrediction answered(String requestId, String entityId, Map<String, Double> features,
                                     boolean entityKnown, String modelName, long servedAtMs, ServedModel model,
                                     ModelRole role, boolean shadow, Prediction<Label> prediction) {
        return new LoggedPrediction(requestId, entityId, features, entityKnown, modelName, servedAtMs,
            model.version(), role, shadow, prediction, model.isRegression());
    }

    /** The record key: the request id, shared by a champion's entry and its shadow. */
    String key() {
        return requestId;
    }

    /** The serialised {@link PredictionLogEntry}. */
    byte[] encode() {
        String label = prediction == null ? "" : prediction.getOutput().getLabel();
        double score = prediction == null ? 0 : prediction.getOutput().getScore();
        Map<String, Label> classScores = prediction == null ? Map.of() : prediction.getOutputScores();
        double value = regression ? score : 0;

        int size = stringSize(PredictionLogEntry.REQUEST_ID_FIELD_NUMBER, requestId)
            + stringSize(PredictionLogEntry.ENTITY_ID_FIELD_NUMBER, entityId)
            + stringSize(PredictionLogEntry.LABEL_FIELD_NUMBER, label)
            + doubleSize(PredictionLogEntry.SCORE_FIELD_NUMBER, score)
            + stringSize(PredictionLogEntry.MODEL_FIELD_NUMBER, modelName)
            + int64Size(PredictionLogEntry.MODEL_VERSION_FIELD_NUMBER, modelVersion)
            + int64Size(PredictionLogEntry.SERVED_AT_MS_FIELD_NUMBER, servedAtMs)
            + boolSize(PredictionLogEntry.ENTITY_KNOWN_FIELD_NUMBER, entityKnown)
            + (role.getNumber() == 0 ? 0
                : CodedOutputStream.computeEnumSize(PredictionLogEntry.MODEL_ROLE_FIELD_NUMBER, role.getNumber()))
            + boolSize(PredictionLogEntry.SHADOW_FIELD_NUMBER, shadow)
            + doubleSize(PredictionLogEntry.VALUE_FIELD_NUMBER, value);
        // Each map entry's length precedes it; computed once, as measuring a key's UTF-8 walks the whole key.
        int[] entrySizes = new int[features.size() + classScores.size()];
        int entry = 0;
        for (String name : features.keySet()) {
            size += mapEntrySize(PredictionLogEntry.FEATURES_FIELD_NUMBER, entrySizes[entry++] = entrySize(name));
        }
        for (String className : classScores.keySet()) {
            size += mapEntrySize(PredictionLogEntry.CLASS_PROBABILITIES_FIELD_NUMBER,
                entrySizes[entry++] = entrySize(className));
        }

        byte[] bytes = new byte[size];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            writeString(out, PredictionLogEntry.REQUEST_ID_FIELD_NUMBER, requestId);
            writeString(out, PredictionLogEntry.ENTITY_ID_FIELD_NUMBER, entityId);
            entry = 0;
            for (Map.Entry<String, Double> feature : features.entrySet()) {
                writeMapEntry(out, PredictionLogEntry.FEATURES_FIELD_NUMBER, entrySizes[entry++], feature.getKey(),
                    feature.getValue());
            }
            writeString(out, PredictionLogEntry.LABEL_FIELD_NUMBER, label);
            writeDouble(out, PredictionLogEntry.SCORE_FIELD_NUMBER, score);
            for (Map.Entry<String, Label> classScore : classScores.entrySet()) {
                writeMapEntry(out, PredictionLogEntry.CLASS_PROBABILITIES_FIELD_NUMBER, entrySizes[entry++],
                    classScore.getKey(), classScore.getValue().getScore());
            }
            writeString(out, PredictionLogEntry.MODEL_FIELD_NUMBER, modelName);
            if (modelVersion != 0) {
                out.writeInt64(PredictionLogEntry.MODEL_VERSION_FIELD_NUMBER, modelVersion);
            }
            if (servedAtMs != 0) {
                out.writeInt64(PredictionLogEntry.SERVED_AT_MS_FIELD_NUMBER, servedAtMs);
            }
            if (entityKnown) {
                out.writeBool(PredictionLogEntry.ENTITY_KNOWN_FIELD_NUMBER, true);
            }
            if (role.getNumber() != 0) {
                out.writeEnum(PredictionLogEntry.MODEL_ROLE_FIELD_NUMBER, role.getNumber());
            }
            if (shadow) {
                out.writeBool(PredictionLogEntry.SHADOW_FIELD_NUMBER, true);
            }
            writeDouble(out, PredictionLogEntry.VALUE_FIELD_NUMBER, value);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            // Only a wrong size computation can get here: the array is sized for exactly these fields.
            throw new UncheckedIOException("The prediction-log entry did not fill its computed size", e);
        }
        return bytes;
    }

    private static int stringSize(int field, String value) {
        return value.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, value);
    }

    private static int doubleSize(int field, double value) {
        return Double.doubleToRawLongBits(value) == 0 ? 0 : CodedOutputStream.computeDoubleSize(field, value);
    }

    private static int int64Size(int field, long value) {
        return value == 0 ? 0 : CodedOutputStream.computeInt64Size(field, value);
    }

    private static int boolSize(int field, boolean value) {
        return value ? CodedOutputStream.computeBoolSize(field, true) : 0;
    }

    private static int entrySize(String key) {
        return CodedOutputStream.computeStringSize(MAP_KEY, key) + CodedOutputStream.computeDoubleSize(MAP_VALUE, 0);
    }

    private static int mapEntrySize(int field, int entrySize) {
        return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(entrySize)
            + entrySize;
    }

    private static void writeString(CodedOutputStream out, int field, String value) throws IOException {
        if (!value.isEmpty()) {
            out.writeString(field, value);
        }
    }

    private static void writeDouble(CodedOutputStream out, int field, double value) throws IOException {
        if (Double.doubleToRawLongBits(value) != 0) {
            out.writeDouble(field, value);
        }
    }

    private static void writeMapEntry(CodedOutputStream out, int field, int entrySize, String key, double value)
            throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(entrySize);
        out.writeString(MAP_KEY, key);
        out.writeDouble(MAP_VALUE, value);
    }
}
