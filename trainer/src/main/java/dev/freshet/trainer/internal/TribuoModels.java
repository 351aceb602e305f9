package dev.freshet.trainer.internal;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.oracle.labs.mlrg.olcut.config.protobuf.ProtoProvenanceSerialization;
import com.oracle.labs.mlrg.olcut.provenance.ListProvenance;
import com.oracle.labs.mlrg.olcut.provenance.Provenance;
import com.oracle.labs.mlrg.olcut.provenance.ProvenanceUtil;
import com.oracle.labs.mlrg.olcut.provenance.primitives.BooleanProvenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.DoubleProvenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.IntProvenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.LongProvenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.StringProvenance;
import com.google.protobuf.InvalidProtocolBufferException;
import org.tribuo.CategoricalInfo;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.ImmutableOutputInfo;
import org.tribuo.Model;
import org.tribuo.OutputFactory;
import org.tribuo.RealInfo;
import org.tribuo.Tribuo;
import org.tribuo.VariableIDInfo;
import org.tribuo.VariableInfo;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.LinearParameters;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.StochasticGradientOptimiser;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.math.optimisers.Adam;
import org.tribuo.math.optimisers.SGD;
import org.tribuo.protos.core.ModelProto;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.provenance.DatasetProvenance;
import org.tribuo.provenance.ModelProvenance;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.provenance.TrainerProvenance;

/** Converts between the learner's raw-space models and stock Tribuo {@link LinearSGDModel}s. Stateless, thread-safe. */
final class TribuoModels {
    private static final String DATASET_CLASS = "org.tribuo.MutableDataset";
    private static final LabelFactory LABEL_FACTORY = new LabelFactory();
    private static final RegressionFactory REGRESSION_FACTORY = new RegressionFactory();

    private TribuoModels() {
    }

    /** What a published model says about itself, beyond its weights. */
    public record Lineage(String modelName, long version, long parentVersion, String origin, long examplesSeen,
                          String inputTopic, Map<Integer, Long> inputOffsets, String spec, String featureView) {
        /** Without a model spec. */
        public Lineage(String modelName, long version, long parentVersion, String origin, long examplesSeen,
                       String inputTopic, Map<Integer, Long> inputOffsets) {
            this(modelName, version, parentVersion, origin, examplesSeen, inputTopic, inputOffsets, "", "");
        }
    }

    /**
     * Builds a stock Tribuo model from a raw-space model: feature ids follow sorted names (as Tribuo assigns them),
     * label ids follow the learner's label order, and the provenance carries the lineage.
     */
    public static LinearSGDModel toTribuo(RawModel raw, Lineage lineage, double learningRate,
                                          double l2, Instant now) {
        return toTribuo(raw, lineage, Objective.LOGISTIC, Optimiser.Settings.adaGrad(learningRate), l2, now);
    }

    /**
     * As above, describing the objective and optimiser actually used in the model's trainer provenance. Whatever
     * the objective, the model maps scores through softmax, so that serving always gets probabilities.
     */
    public static LinearSGDModel toTribuo(RawModel raw, Lineage lineage, Objective objective,
                                          Optimiser.Settings optimiser, double l2, Instant now) {
        ImmutableFeatureMap featureMap = featureMap(raw);
        Map<Label, Integer> labelIds = new LinkedHashMap<>();
        for (int k = 0; k < raw.labels().size(); k++) {
            labelIds.put(new Label(raw.labels().get(k)), k);
        }
        ImmutableOutputInfo<Label> outputInfo = LABEL_FACTORY.constructInfoForExternalModel(labelIds);
        LinearParameters parameters = parameters(raw, featureMap);

        ModelProvenance provenance = provenance(raw, lineage, objective, optimiser, l2, 1.0, now);
        String name = lineage.modelName() + "/" + lineage.version();
        return new ModelMaker().make(name, provenance, featureMap, outputInfo, parameters);
    }

    /**
     * The provenance {@link #toTribuo} or {@link #toTribuoRegression} (by the objective) would give the model, without
     * building the model: what a packed version carries beside its weights.
     */
    public static ModelProvenance provenance(RawModel raw, Lineage lineage, Objective objective,
                                             Optimiser.Settings optimiser, double l2, double huberDelta, Instant now) {
        OffsetDateTime time = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        if (objective.regression()) {
            TrainerProvenance trainerProvenance = new org.tribuo.regression.sgd.linear.LinearSGDTrainer(
                objective.tribuoRegression(huberDelta), describedOptimiser(optimiser), 1, 1L).getProvenance();
            return new ModelProvenance(org.tribuo.regression.sgd.linear.LinearSGDModel.class.getName(), time,
                datasetProvenance(raw, lineage, time, REGRESSION_FACTORY), trainerProvenance,
                instanceProvenance(lineage, l2));
        }
        TrainerProvenance trainerProvenance = describedTrainer(objective, optimiser).getProvenance();
        return new ModelProvenance(LinearSGDModel.class.getName(), time,
            datasetProvenance(raw, lineage, time, LABEL_FACTORY), trainerProvenance, instanceProvenance(lineage, l2));
    }

    /** A provenance as Tribuo's {@code ModelProto} stores it (OLCUT's {@code RootProvenanceProto} bytes). */
    public static byte[] serializeProvenance(ModelProvenance provenance) {
        return new ProtoProvenanceSerialization(false)
            .serializeToProto(ProvenanceUtil.marshalProvenance(provenance)).toByteArray();
    }

    /**
     * Builds a stock Tribuo regression model ({@code org.tribuo.regression.sgd.linear.LinearSGDModel}, one output
     * dimension named after the raw model's single label) from a one-output raw-space model.
     *
     * @param huberDelta the Huber threshold, recorded in the trainer provenance when the objective is Huber
     */
    public static org.tribuo.regression.sgd.linear.LinearSGDModel toTribuoRegression(RawModel raw,
            Lineage lineage, Objective objective, Optimiser.Settings optimiser, double l2, double huberDelta,
            Instant now) {
        if (raw.labels().size() != 1) {
            throw new IllegalArgumentException("A regression model has one output, got " + raw.labels());
        }
        ImmutableFeatureMap featureMap = featureMap(raw);
        ImmutableOutputInfo<Regressor> outputInfo = REGRESSION_FACTORY.constructInfoForExternalModel(
            Map.of(new Regressor(raw.labels().get(0), Double.NaN), 0));
        LinearParameters parameters = parameters(raw, featureMap);
        ModelProvenance provenance = provenance(raw, lineage, objective, optimiser, l2, huberDelta, now);
        String name = lineage.modelName() + "/" + lineage.version();
        return new RegressionModelMaker().make(name, provenance, featureMap, outputInfo, parameters);
    }

    /** A stock model from its parts; {@code weights} holds one row per output, the bias in the last column. */
    static Model<?> fromParts(String name, ModelProvenance provenance, ImmutableFeatureMap featureMap,
                              List<String> outputs, boolean regression, DenseMatrix weights) {
        LinearParameters parameters = new LinearParameters(weights);
        if (regression) {
            return new RegressionModelMaker().make(name, provenance, featureMap,
                REGRESSION_FACTORY.constructInfoForExternalModel(Map.of(new Regressor(outputs.get(0), Double.NaN), 0)),
                parameters);
        }
        Map<Label, Integer> labelIds = new LinkedHashMap<>();
        for (int k = 0; k < outputs.size(); k++) {
            labelIds.put(new Label(outputs.get(k)), k);
        }
        return new ModelMaker().make(name, provenance, featureMap,
            LABEL_FACTORY.constructInfoForExternalModel(labelIds), parameters);
    }

    private static ImmutableFeatureMap featureMap(RawModel raw) {
        List<VariableInfo> infos = new ArrayList<>(raw.featureNames().size());
        for (RawModel.FeatureStatistics s : raw.statistics()) {
            infos.add(realInfo(s));
        }
        return new ImmutableFeatureMap(infos);
    }

    /** Weights per output in Tribuo's feature ids (sorted names), the bias in the last column. */
    private static LinearParameters parameters(RawModel raw, ImmutableFeatureMap featureMap) {
        int numFeatures = raw.featureNames().size();
        DenseMatrix matrix = new DenseMatrix(raw.labels().size(), numFeatures + 1);
        for (int k = 0; k < raw.labels().size(); k++) {
            for (int col = 0; col < numFeatures; col++) {
                matrix.set(k, featureMap.getID(raw.featureNames().get(col)), raw.weights()[k][col]);
            }
            matrix.set(k, numFeatures, raw.bias()[k]);
        }
        return new LinearParameters(matrix);
    }

    /** The optimiser and objective actually used, described by a stock trainer so any reader can deserialise it. */
    private static LinearSGDTrainer describedTrainer(Objective objective, Optimiser.Settings optimiser) {
        return new LinearSGDTrainer(objective.tribuo(), describedOptimiser(optimiser), 1, 1L);
    }

    private static StochasticGradientOptimiser describedOptimiser(Optimiser.Settings optimiser) {
        return switch (optimiser.kind()) {
            case ADAGRAD -> new AdaGrad(optimiser.learningRate(), optimiser.epsilon());
            case SGD -> switch (optimiser.schedule()) {
                case CONSTANT -> SGD.getSimpleSGD(optimiser.learningRate());
                case INVERSE_SQRT -> SGD.getSqrtDecaySGD(optimiser.learningRate());
                case INVERSE -> SGD.getLinearDecaySGD(optimiser.learningRate());
            };
            // Only named here, for provenance: the update applied is Optimiser's, not Tribuo 4.3.2's Adam.
            case ADAM -> new Adam(optimiser.learningRate(), optimiser.beta1(), optimiser.beta2(), optimiser.epsilon());
        };
    }

    private static RealInfo realInfo(RawModel.FeatureStatistics s) {
        // RealInfo(name) would carry min=+inf, max=-inf, which Tribuo refuses to deserialise.
        boolean seen = s.count() > 0 && s.min() <= s.max();
        int count = (int) Math.min(Integer.MAX_VALUE, s.count());
        return seen
            ? new RealInfo(s.name(), count, s.max(), s.min(), s.mean(), s.sumSquaredDeviations())
            : new RealInfo(s.name(), 0, 0.0, 0.0, 0.0, 0.0);
    }

    private static DatasetProvenance datasetProvenance(RawModel raw, Lineage lineage,
                                                       OffsetDateTime time, OutputFactory<?> outputFactory) {
        Map<String, Provenance> map = new HashMap<>();
        map.put("class-name", new StringProvenance("class-name", DATASET_CLASS));
        map.put("datasource", new SimpleDataSourceProvenance(
            "Kafka topic " + lineage.inputTopic() + " up to offsets " + lineage.inputOffsets(), time, outputFactory));
        map.put("transformations", new ListProvenance<>());
        map.put("is-dense", new BooleanProvenance("is-dense", false));
        map.put("is-sequence", new BooleanProvenance("is-sequence", false));
        map.put("num-examples", new IntProvenance("num-examples",
            (int) Math.min(Integer.MAX_VALUE, raw.statisticsExamples())));
        map.put("num-features", new IntProvenance("num-features", raw.featureNames().size()));
        map.put("num-outputs", new IntProvenance("num-outputs", raw.labels().size()));
        map.put("tribuo-version", new StringProvenance("tribuo-version", Tribuo.VERSION));
        return new DatasetProvenance(map);
    }

    private static Map<String, Provenance> instanceProvenance(Lineage lineage, double l2) {
        Map<String, Provenance> map = new LinkedHashMap<>();
        map.put("freshet-model-name", new StringProvenance("freshet-model-name", lineage.modelName()));
        map.put("freshet-model-version", new LongProvenance("freshet-model-version", lineage.version()));
        map.put("freshet-parent-version", new LongProvenance("freshet-parent-version", lineage.parentVersion()));
        map.put("freshet-origin", new StringProvenance("freshet-origin", lineage.origin()));
        map.put("freshet-examples-seen", new LongProvenance("freshet-examples-seen", lineage.examplesSeen()));
        map.put("freshet-l2", new DoubleProvenance("freshet-l2", l2));
        if (!lineage.spec().isEmpty()) {
            map.put("freshet-model-spec", new StringProvenance("freshet-model-spec", lineage.spec()));
            map.put("freshet-feature-view", new StringProvenance("freshet-feature-view", lineage.featureView()));
        }
        map.put("freshet-standardisation", new StringProvenance("freshet-standardisation",
            "online mean/variance per feature, folded into the weights"));
        return map;
    }

    /** Reads a serialized Tribuo model ({@code ModelProto} bytes). */
    public static Model<?> deserialize(byte[] bytes) {
        try {
            return Model.deserialize(ModelProto.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("Not a serialized Tribuo model: " + e.getMessage(), e);
        }
    }

    /**
     * Extracts a raw-space model from a Tribuo linear classification model, with rows in {@code labels} order.
     * Labels the model lacks get zero weights; labels only the model has are dropped (returned in the result).
     *
     * @throws IllegalArgumentException if the model is not a {@link LinearSGDModel} over {@link Label}s
     */
    public static Extracted fromTribuo(Model<?> model, List<String> labels) {
        if (!(model instanceof LinearSGDModel linear)) {
            throw new IllegalArgumentException("Only linear SGD classification models can be continued, got "
                + model.getClass().getName());
        }
        DenseMatrix matrix = linear.getWeightsCopy();
        ImmutableFeatureMap featureMap = linear.getFeatureIDMap();
        ImmutableOutputInfo<Label> outputs = linear.getOutputIDInfo();
        int numFeatures = featureMap.size();
        List<String> names = new ArrayList<>(numFeatures);
        List<RawModel.FeatureStatistics> statistics = new ArrayList<>(numFeatures);
        for (int id = 0; id < numFeatures; id++) {
            VariableIDInfo info = featureMap.get(id);
            names.add(info.getName());
            statistics.add(statistics(info));
        }
        double[][] weights = new double[labels.size()][numFeatures];
        double[] bias = new double[labels.size()];
        List<String> dropped = new ArrayList<>();
        for (var entry : outputs) {
            int row = entry.getA();
            int k = labels.indexOf(entry.getB().getLabel());
            if (k < 0) {
                dropped.add(entry.getB().getLabel());
                continue;
            }
            for (int id = 0; id < numFeatures; id++) {
                weights[k][id] = matrix.get(row, id);
            }
            bias[k] = matrix.get(row, numFeatures);
        }
        int numExamples = model.getProvenance().getDatasetProvenance().getNumExamples();
        boolean statisticsUsable = numExamples > 0;
        for (RawModel.FeatureStatistics s : statistics) {
            statisticsUsable &= s.count() <= numExamples;
        }
        RawModel raw = new RawModel(labels, names, weights, bias,
            statisticsUsable ? statistics : List.of(), statisticsUsable ? numExamples : 0);
        return new Extracted(raw, dropped);
    }

    /** A model's raw weights, and the model's labels that the trainer does not know. */
    public record Extracted(RawModel model, List<String> droppedLabels) {
    }

    private static RawModel.FeatureStatistics statistics(VariableInfo info) {
        RealInfo real = info instanceof CategoricalInfo categorical ? categorical.generateRealInfo()
            : info instanceof RealInfo r ? r : null;
        if (real == null || real.getCount() == 0) {
            return new RawModel.FeatureStatistics(info.getName(), 0, 0.0, 0.0,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        }
        double variance = real.getVariance();
        double m2 = real.getCount() > 1 && Double.isFinite(variance) ? variance * (real.getCount() - 1) : 0.0;
        return new RawModel.FeatureStatistics(info.getName(), real.getCount(), real.getMean(), m2,
            real.getMin(), real.getMax());
    }

    /** Exists only to reach {@code LinearSGDTrainer}'s protected factory for {@link LinearSGDModel}. */
    private static final class ModelMaker extends LinearSGDTrainer {
        ModelMaker() {
            super(new LogMulticlass(), new AdaGrad(0.1), 1, 1L);
        }

        LinearSGDModel make(String name, ModelProvenance provenance, ImmutableFeatureMap featureMap,
                            ImmutableOutputInfo<Label> outputInfo, LinearParameters parameters) {
            return createModel(name, provenance, featureMap, outputInfo, parameters);
        }
    }

    /** Exists only to reach the regression {@code LinearSGDTrainer}'s protected factory for its model. */
    private static final class RegressionModelMaker extends org.tribuo.regression.sgd.linear.LinearSGDTrainer {
        RegressionModelMaker() {
            super(new org.tribuo.regression.sgd.objectives.SquaredLoss(), new AdaGrad(0.1), 1, 1L);
        }

        org.tribuo.regression.sgd.linear.LinearSGDModel make(String name, ModelProvenance provenance,
                ImmutableFeatureMap featureMap, ImmutableOutputInfo<Regressor> outputInfo,
                LinearParameters parameters) {
            return createModel(name, provenance, featureMap, outputInfo, parameters);
        }
    }
}
