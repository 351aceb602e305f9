package dev.freshet.serving.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.LinearParameters;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.ModelProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/**
 * Builds the stock Tribuo model of a version published in the packed form (registry.proto: a {@link ModelSchema}
 * with the domains, once per schema, and per version only weights, bias and provenance), without deserialising a
 * whole Tribuo model. The feature map of the newest schema is kept, since consecutive versions share it: loading
 * a 100k-feature version then costs the weights, not the domains. Not thread-safe (the model watcher's thread).
 */
final class PackedModels {
    private static final String REGRESSION = "regression";

    private String cachedSchemaId = "";
    private ImmutableFeatureMap cachedFeatureMap;
    /** Tribuo's feature id of each weight column (the schema's names in sorted order). */
    private int[] cachedIds;

    /**
     * @throws IllegalArgumentException if the version's arrays do not fit the schema or its provenance is unreadable
     */
    Model<?> build(ModelSchema schema, ModelVersion version) {
        int k = schema.getOutputsCount();
        int n = schema.getFeatureNamesCount();
        if (version.getWeightsCount() != k * n || version.getBiasCount() != k) {
            throw new IllegalArgumentException(String.format("its %d weights and %d biases do not fit its schema %s "
                    + "(%d features, %d outputs)", version.getWeightsCount(), version.getBiasCount(),
                schema.getSchemaId(), n, k));
        }
        if (!schema.getSchemaId().equals(cachedSchemaId)) {
            cacheDomains(schema);
        }
        DenseMatrix matrix = new DenseMatrix(k, n + 1);
        for (int col = 0; col < n; col++) {
            int id = cachedIds[col];
            for (int c = 0; c < k; c++) {
                matrix.set(c, id, version.getWeights(c * n + col));
            }
        }
        for (int c = 0; c < k; c++) {
            matrix.set(c, n, version.getBias(c));
        }
        String name = version.getModel() + "/" + version.getVersion();
        // The feature map is immutable, so versions of one schema may share it.
        LinearParameters parameters = new LinearParameters(matrix);
        ModelProvenance provenance = provenance(version);
        if (REGRESSION.equals(schema.getTask())) {
            return new RegressionMaker().make(name, provenance, cachedFeatureMap,
                new RegressionFactory().constructInfoForExternalModel(
                    Map.of(new Regressor(schema.getOutputs(0), Double.NaN), 0)), parameters);
        }
        Map<Label, Integer> labelIds = new LinkedHashMap<>();
        for (int c = 0; c < k; c++) {
            labelIds.put(new Label(schema.getOutputs(c)), c);
        }
        return new ClassifierMaker().make(name, provenance, cachedFeatureMap,
            new LabelFactory().constructInfoForExternalModel(labelIds), parameters);
    }

    private void cacheDomains(ModelSchema schema) {
        List<String> sorted = new ArrayList<>(schema.getFeatureNamesList());
        sorted.sort(null);
        List<VariableInfo> infos = new ArrayList<>(sorted.size());
        for (String name : sorted) {
            // The packed form has no feature statistics; a linear model's predictions do not use them.
            infos.add(new RealInfo(name, 0, 0.0, 0.0, 0.0, 0.0));
        }
        ImmutableFeatureMap featureMap = new ImmutableFeatureMap(infos);
        int[] ids = new int[sorted.size()];
        for (int col = 0; col < ids.length; col++) {
            ids[col] = featureMap.getID(sorted.get(col));
        }
        cachedFeatureMap = featureMap;
        cachedIds = ids;
        cachedSchemaId = schema.getSchemaId();
    }

    private static ModelProvenance provenance(ModelVersion version) {
        try {
            return (ModelProvenance) ProvenanceUtil.unmarshalProvenance(new ProtoProvenanceSerialization(false)
                .deserializeFromProto(RootProvenanceProto.parseFrom(version.getTribuoProvenance())));
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalArgumentException("its Tribuo provenance is unreadable: " + e.getMessage(), e);
        }
    }

    /** Exists only to reach {@code LinearSGDTrainer}'s protected factory for {@link LinearSGDModel}. */
    private static final class ClassifierMaker extends LinearSGDTrainer {
        ClassifierMaker() {
            super(new LogMulticlass(), new AdaGrad(0.1), 1, 1L);
        }

        LinearSGDModel make(String name, ModelProvenance provenance, ImmutableFeatureMap featureMap,
                            org.tribuo.ImmutableOutputInfo<Label> outputInfo, LinearParameters parameters) {
            return createModel(name, provenance, featureMap, outputInfo, parameters);
        }
    }

    /** Exists only to reach the regression {@code LinearSGDTrainer}'s protected factory for its model. */
    private static final class RegressionMaker extends org.tribuo.regression.sgd.linear.LinearSGDTrainer {
        RegressionMaker() {
            super(new SquaredLoss(), new AdaGrad(0.1), 1, 1L);
        }

        org.tribuo.regression.sgd.linear.LinearSGDModel make(String name, ModelProvenance provenance,
                ImmutableFeatureMap featureMap, org.tribuo.ImmutableOutputInfo<Regressor> outputInfo,
                LinearParameters parameters) {
            return createModel(name, provenance, featureMap, outputInfo, parameters);
        }
    }
}
