package dev.freshet.trainer.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import com.google.protobuf.InvalidProtocolBufferException;
import com.oracle.labs.mlrg.olcut.config.protobuf.ProtoProvenanceSerialization;
import com.oracle.labs.mlrg.olcut.config.protobuf.protos.RootProvenanceProto;
import com.oracle.labs.mlrg.olcut.provenance.ProvenanceUtil;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.Model;
import org.tribuo.RealInfo;
import org.tribuo.VariableInfo;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.provenance.ModelProvenance;

/**
 * The packed form of a model version: the domains (task, outputs, feature names) in a {@link ModelSchema} written
 * once per schema, and per version only the weights, bias and provenance. Building a version this way takes
 * milliseconds where serializing a whole Tribuo model takes seconds at 100k features (most of it in the feature
 * map). Stateless, thread-safe.
 */
final class PackedVersions {
    static final String CLASSIFICATION = "classification";
    static final String REGRESSION = "regression";

    private PackedVersions() {
    }

    /** A content-derived id: the same task, outputs and feature names (in order) always get the same id. */
    static String schemaId(String task, List<String> outputs, List<String> featureNames) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JVM has no SHA-256", e);
        }
        update(digest, task);
        digest.update((byte) 1);
        for (String output : outputs) {
            update(digest, output);
        }
        digest.update((byte) 1);
        for (String name : featureNames) {
            update(digest, name);
        }
        // 96 bits: collisions between the schemas of one model are out of reach, and keys stay short.
        return HexFormat.of().formatHex(digest.digest(), 0, 12);
    }

    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
        // A separator that no UTF-8 text contains, so that ("ab","c") and ("a","bc") differ.
        digest.update((byte) 0xff);
    }

    static ModelSchema schema(String model, String schemaId, String task, List<String> outputs,
                              List<String> featureNames, long nowMs) {
        return ModelSchema.newBuilder()
            .setModel(model)
            .setSchemaId(schemaId)
            .setTask(task)
            .addAllOutputs(outputs)
            .addAllFeatureNames(featureNames)
            .setPublishedAtMs(nowMs)
            .build();
    }

    /** Writes a raw-space model's weights, bias and the model's provenance into a version. */
    static void pack(ModelVersion.Builder version, String schemaId, RawModel raw,
                     ModelProvenance provenance) {
        version.setSchemaId(schemaId);
        for (double[] row : raw.weights()) {
            for (double w : row) {
                version.addWeights(w);
            }
        }
        for (double b : raw.bias()) {
            version.addBias(b);
        }
        version.setTribuoProvenance(com.google.protobuf.ByteString.copyFrom(
            TribuoModels.serializeProvenance(provenance)));
    }

    /**
     * The stock Tribuo model of a packed version: its schema's domains and its weights, bias and provenance.
     * Feature statistics are not in the packed form: the feature map's {@code RealInfo}s are empty.
     *
     * @throws IllegalArgumentException if the version does not fit the schema
     */
    static Model<?> toTribuo(ModelSchema schema, ModelVersion version) {
        List<String> sorted = new ArrayList<>(schema.getFeatureNamesList());
        sorted.sort(null);
        int n = sorted.size();
        int k = schema.getOutputsCount();
        if (version.getWeightsCount() != k * n || version.getBiasCount() != k) {
            throw new IllegalArgumentException("model '" + version.getModel() + "' v" + version.getVersion()
                + " has " + version.getWeightsCount() + " weights and " + version.getBiasCount()
                + " biases, but its schema " + schema.getSchemaId() + " has " + n + " features and " + k + " outputs");
        }
        List<VariableInfo> infos = new ArrayList<>(n);
        for (String name : sorted) {
            infos.add(new RealInfo(name, 0, 0.0, 0.0, 0.0, 0.0));
        }
        ImmutableFeatureMap featureMap = new ImmutableFeatureMap(infos);
        DenseMatrix matrix = new DenseMatrix(k, n + 1);
        for (int col = 0; col < n; col++) {
            int id = featureMap.getID(sorted.get(col));
            for (int c = 0; c < k; c++) {
                matrix.set(c, id, version.getWeights(c * n + col));
            }
        }
        for (int c = 0; c < k; c++) {
            matrix.set(c, n, version.getBias(c));
        }
        return TribuoModels.fromParts(version.getModel() + "/" + version.getVersion(),
            provenance(version), featureMap, schema.getOutputsList(), REGRESSION.equals(schema.getTask()), matrix);
    }

    static ModelProvenance provenance(ModelVersion version) {
        try {
            return (ModelProvenance) ProvenanceUtil.unmarshalProvenance(new ProtoProvenanceSerialization(false)
                .deserializeFromProto(RootProvenanceProto.parseFrom(version.getTribuoProvenance())));
        } catch (InvalidProtocolBufferException | ClassCastException e) {
            throw new IllegalArgumentException("the provenance of model '" + version.getModel() + "' v"
                + version.getVersion() + " is unreadable: " + e.getMessage(), e);
        }
    }
}
