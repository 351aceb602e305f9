package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.oracle.labs.mlrg.olcut.util.Pair;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.OptimiserSlot;
import org.tribuo.classification.sgd.LabelObjective;
import org.tribuo.math.la.DenseVector;
import org.tribuo.math.la.SGDVector;

/**
 * A linear classifier (logistic or hinge loss) learned one example at a time with an {@link Optimiser} and L2, on
 * features standardised online. Owns all of its state in growable arrays so that a feature never seen before can
 * join mid-stream and the state can be copied as a snapshot and written to a checkpoint.
 *
 * <p>Feature statistics follow Tribuo's {@code RealInfo} semantics (count, mean, sum of squared deviations and
 * min/max over the examples where the feature is present); an absent feature counts as the value 0, exactly as a
 * Tribuo model sees it, so the standardisation of feature j uses {@code mu_j = c_j m_j / N} and
 * {@code var_j = (M2_j + c_j m_j^2 (1 - c_j / N)) / N} over all N examples observed.
 *
 * <p>Not thread-safe: one thread owns an instance; publish {@link #copy()} snapshots to others.
 */
final class OnlineLearner {
    /** Below this a feature is (so far) constant; it is then centred but not scaled. */
    private static final double MIN_STD = 1e-9;
    private static final int INITIAL_CAPACITY = 16;

    private final List<String> labels;
    private final Optimiser.Settings optimiserSettings;
    private final double l2;
    private final Objective objectiveKind;
    private final LabelObjective objective;

    private final Map<String, Integer> featureIndex;
    private final List<String> featureNames;
    private int numFeatures;

    private long statsExamples;
    private long[] count;
    private double[] mean;
    private double[] m2;
    private double[] min;
    private double[] max;

    private double[][] weights;
    private final double[] bias;
    private final Optimiser optimiser;

    private long examplesLearned;

    /**
     * @param labels class labels; the position of a label is its id in every published model
     * @param learningRate AdaGrad's base learning rate
     * @param l2 L2 penalty on the (standardised) weights, not on the bias
     */
    public OnlineLearner(List<String> labels, double learningRate, double l2) {
        this(labels, Objective.LOGISTIC, Optimiser.Settings.adaGrad(learningRate), l2);
    }

    /**
     * @param labels class labels; the position of a label is its id in every published model
     * @param objective the loss minimised
     * @param optimiser the update rule and its hyperparameters
     * @param l2 L2 penalty on the (standardised) weights, not on the bias
     */
    public OnlineLearner(List<String> labels, Objective objective, Optimiser.Settings optimiser, double l2) {
        if (labels.size() < 2) {
            throw new IllegalArgumentException("At least two class labels are needed, got " + labels);
        }
        this.labels = List.copyOf(labels);
        this.objectiveKind = objective;
        this.objective = objective.tribuo();
        this.optimiserSettings = optimiser;
        this.l2 = l2;
        this.featureIndex = new HashMap<>();
        this.featureNames = new ArrayList<>();
        int k = labels.size();
        this.count = new long[INITIAL_CAPACITY];
        this.mean = new double[INITIAL_CAPACITY];
        this.m2 = new double[INITIAL_CAPACITY];
        this.min = new double[INITIAL_CAPACITY];
        this.max = new double[INITIAL_CAPACITY];
        this.weights = new double[k][INITIAL_CAPACITY];
        this.bias = new double[k];
        this.optimiser = new Optimiser(optimiser, k, INITIAL_CAPACITY);
    }

    private OnlineLearner(OnlineLearner other) {
        this.labels = other.labels;
        this.objectiveKind = other.objectiveKind;
        this.objective = other.objectiveKind.tribuo();
        this.optimiserSettings = other.optimiserSettings;
        this.l2 = other.l2;
        this.featureIndex = new HashMap<>(other.featureIndex);
        this.featureNames = new ArrayList<>(other.featureNames);
        this.numFeatures = other.numFeatures;
        this.statsExamples = other.statsExamples;
        this.count = other.count.clone();
        this.mean = other.mean.clone();
        this.m2 = other.m2.clone();
        this.min = other.min.clone();
        this.max = other.max.clone();
        this.weights = deepCopy(other.weights);
        this.bias = other.bias.clone();
        this.optimiser = other.optimiser.copy();
        this.examplesLearned = other.examplesLearned;
    }

    /** A deep copy that shares nothing mutable with this learner. */
    public OnlineLearner copy() {
        return new OnlineLearner(this);
    }

    /** The outcome of testing an example before training on it. */
    /**
     * The outcome of testing an example before training on it.
     *
     * @param predicted the label id predicted (highest score)
     * @param actual the true label id
     * @param logLoss minus the log of the probability given to the true label
     * @param positiveScore the probability given to label id 1 (the positive class when there are two)
     */
    public record Outcome(int predicted, int actual, double logLoss, double positiveScore) {
        public boolean correct() {
            return predicted == actual;
        }
    }

    /**
     * Tests then trains on one example: updates the feature statistics, predicts, records the loss, then takes
     * one optimiser step.
     *
     * @param features raw feature values by name (finite); features not given count as 0
     * @param labelId the label's position in {@link #labels()}
     * @param updateStatistics false to keep the standardisation fixed (later epochs of a retrain)
     */
    public Outcome learn(Map<String, Double> features, int labelId, boolean updateStatistics) {
        if (updateStatistics) {
            observe(features);
        } else {
            registerAll(features);
        }
        double[] z = standardise(features);
        double[] scores = scores(z);
        Pair<Double, SGDVector> valueAndGradient =
            objective.lossAndGradient(labelId, DenseVector.createDenseVector(scores));
        int predicted = argMax(scores);
        // Tribuo returns minus the loss and its ascent direction with respect to the scores. Log loss is reported
        // for every objective, on the softmax of the scores (what a published model outputs).
        double[] probabilities = softmax(scores);
        double positiveScore = probabilities[1];
        double logLoss = -Math.log(Math.max(probabilities[labelId], 1e-15));
        SGDVector ascent = valueAndGradient.getB();
        optimiser.beginStep();
        for (int k = 0; k < labels.size(); k++) {
            double g = ascent.get(k);
            double[] w = weights[k];
            for (int j = 0; j < numFeatures; j++) {
                double grad = g * z[j] - l2 * w[j];
                if (grad != 0.0) {
                    w[j] += optimiser.weightDelta(k, j, grad);
                }
            }
            if (g != 0.0) {
                bias[k] += optimiser.biasDelta(k, g);
            }
        }
        if (updateStatistics) {
            // Later passes over the same examples (retraining) learn nothing new to count.
            examplesLearned++;
        }
        return new Outcome(predicted, labelId, logLoss, positiveScore);
    }

    /** Class probabilities for raw features under the current state, without learning. Unknown features are ignored. */
    public double[] predictProbabilities(Map<String, Double> features) {
        return softmax(scores(standardise(features)));
    }

    private void observe(Map<String, Double> features) {
        statsExamples++;
        for (Map.Entry<String, Double> e : features.entrySet()) {
            int j = indexOf(e.getKey());
            double x = e.getValue();
            long c = ++count[j];
            double delta = x - mean[j];
            mean[j] += delta / c;
            m2[j] += delta * (x - mean[j]);
            min[j] = Math.min(min[j], x);
            max[j] = Math.max(max[j], x);
        }
    }

    private void registerAll(Map<String, Double> features) {
        for (String name : features.keySet()) {
            indexOf(name);
        }
    }

    private int indexOf(String name) {
        Integer j = featureIndex.get(name);
        if (j != null) {
            return j;
        }
        int id = numFeatures++;
        ensureCapacity(numFeatures);
        featureIndex.put(name, id);
        featureNames.add(name);
        min[id] = Double.POSITIVE_INFINITY;
        max[id] = Double.NEGATIVE_INFINITY;
        return id;
    }

    private void ensureCapacity(int needed) {
        if (needed <= count.length) {
            return;
        }
        int capacity = Math.max(needed, count.length * 2);
        count = Arrays.copyOf(count, capacity);
        mean = Arrays.copyOf(mean, capacity);
        m2 = Arrays.copyOf(m2, capacity);
        min = Arrays.copyOf(min, capacity);
        max = Arrays.copyOf(max, capacity);
        for (int k = 0; k < weights.length; k++) {
            weights[k] = Arrays.copyOf(weights[k], capacity);
        }
        optimiser.grow(capacity);
    }

    /** Mean of feature j over all examples observed, absent counting as 0. */
    double centre(int j) {
        if (statsExamples == 0 || count[j] == 0) {
            return 0.0;
        }
        return count[j] * mean[j] / statsExamples;
    }

    /** Standard deviation of feature j over all examples observed (absent = 0), or 1 while it is constant. */
    double scale(int j) {
        if (statsExamples == 0 || count[j] == 0) {
            return 1.0;
        }
        double n = statsExamples;
        double c = count[j];
        double variance = (m2[j] + c * mean[j] * mean[j] * (1.0 - c / n)) / n;
        double std = Math.sqrt(Math.max(variance, 0.0));
        return std < MIN_STD ? 1.0 : std;
    }

    private double[] standardise(Map<String, Double> features) {
        double[] z = new double[numFeatures];
        // Centre and scale once per feature (the hot spot of learning), then overwrite the features present.
        double[] mu = new double[numFeatures];
        double[] sigma = new double[numFeatures];
        for (int j = 0; j < numFeatures; j++) {
            mu[j] = centre(j);
            sigma[j] = scale(j);
            z[j] = -mu[j] / sigma[j];
        }
        for (Map.Entry<String, Double> e : features.entrySet()) {
            Integer j = featureIndex.get(e.getKey());
            if (j != null) {
                z[j] = (e.getValue() - mu[j]) / sigma[j];
            }
        }
        return z;
    }

    private double[] scores(double[] z) {
        double[] scores = new double[labels.size()];
        for (int k = 0; k < scores.length; k++) {
            double s = bias[k];
            double[] w = weights[k];
            for (int j = 0; j < numFeatures; j++) {
                s += w[j] * z[j];
            }
            scores[k] = s;
        }
        return scores;
    }

    static double[] softmax(double[] scores) {
        double top = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            top = Math.max(top, s);
        }
        double[] p = new double[scores.length];
        double sum = 0.0;
        for (int k = 0; k < scores.length; k++) {
            p[k] = Math.exp(scores[k] - top);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
        return p;
    }

    private static int argMax(double[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] copy = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            copy[i] = a[i].clone();
        }
        return copy;
    }

    /**
     * The model in raw feature space: the standardisation folded into the weights
     * ({@code w'_j = w_j / sigma_j}, {@code b' = b - sum_j w_j mu_j / sigma_j}), so a model fed raw features
     * predicts exactly what this learner predicts now.
     */
    public RawModel toRawModel() {
        int k = labels.size();
        List<String> names = new ArrayList<>(featureNames);
        names.sort(null);
        double[][] rawWeights = new double[k][names.size()];
        double[] rawBias = bias.clone();
        List<FeatureStatistics> statistics = new ArrayList<>(names.size());
        for (int col = 0; col < names.size(); col++) {
            int j = featureIndex.get(names.get(col));
            double mu = centre(j);
            double sigma = scale(j);
            for (int c = 0; c < k; c++) {
                rawWeights[c][col] = weights[c][j] / sigma;
                rawBias[c] -= weights[c][j] * mu / sigma;
            }
            statistics.add(new FeatureStatistics(names.get(col), count[j], mean[j], m2[j], min[j], max[j]));
        }
        return new RawModel(labels, names, rawWeights, rawBias, statistics, statsExamples);
    }

    /**
     * Continues from a model given in raw feature space: optionally takes over its feature statistics, then
     * unfolds its weights with the resulting standardisation ({@code w_j = w'_j sigma_j},
     * {@code b = b' + sum_j w'_j mu_j}) so that this learner predicts what the model predicts. Features this
     * learner knows but the model lacks get weight 0. AdaGrad's accumulators restart from zero, since the model
     * does not carry them.
     *
     * @param model weights per label of this learner (same order as {@link #labels()})
     * @param examplesLearned examples the adopted model had learned, carried on in lineage counts
     */
    public void adopt(RawModel model, long examplesLearned) {
        if (!model.labels().equals(labels)) {
            throw new IllegalArgumentException("Labels " + model.labels() + " differ from " + labels);
        }
        for (String name : model.featureNames()) {
            indexOf(name);
        }
        if (model.statisticsExamples() > 0 && !model.statistics().isEmpty()) {
            takeStatistics(model);
        }
        for (double[] row : weights) {
            Arrays.fill(row, 0.0);
        }
        optimiser.reset();
        for (int c = 0; c < labels.size(); c++) {
            bias[c] = model.bias()[c];
        }
        List<String> names = model.featureNames();
        for (int col = 0; col < names.size(); col++) {
            int j = featureIndex.get(names.get(col));
            double mu = centre(j);
            double sigma = scale(j);
            for (int c = 0; c < labels.size(); c++) {
                double raw = model.weights()[c][col];
                weights[c][j] = raw * sigma;
                bias[c] += raw * mu;
            }
        }
        this.examplesLearned = examplesLearned;
    }

    private void takeStatistics(RawModel model) {
        statsExamples = model.statisticsExamples();
        Arrays.fill(count, 0L);
        Arrays.fill(mean, 0.0);
        Arrays.fill(m2, 0.0);
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (FeatureStatistics s : model.statistics()) {
            int j = indexOf(s.name());
            // A count above N would make the variance formula meaningless; such statistics are not usable.
            count[j] = Math.min(s.count(), statsExamples);
            mean[j] = s.mean();
            m2[j] = Math.max(s.sumSquaredDeviations(), 0.0);
            min[j] = s.min();
            max[j] = s.max();
        }
    }

    /** The settings a checkpoint records, to tell whether its optimiser state fits this configuration. */
    private Map<String, String> checkpointSettings() {
        Map<String, String> settings = new LinkedHashMap<>(optimiserSettings.describe());
        settings.put("objective", objectiveKind.configName);
        settings.put("l2", Double.toString(l2));
        return settings;
    }

    /** The complete learning state, for a checkpoint; {@link #restore} gives back an identical learner. */
    public LearnerState toState() {
        int n = numFeatures;
        LearnerState.Builder state = LearnerState.newBuilder()
            .addAllLabels(labels)
            .addAllFeatureNames(featureNames)
            .setStatisticsExamples(statsExamples)
            .setOptimiserSteps(optimiser.steps())
            .setExamplesLearned(examplesLearned)
            .putAllSettings(checkpointSettings());
        for (int j = 0; j < n; j++) {
            state.addFeatureCount(count[j]).addFeatureMean(mean[j]).addFeatureM2(m2[j])
                .addFeatureMin(min[j]).addFeatureMax(max[j]);
        }
        for (double[] row : weights) {
            for (int j = 0; j < n; j++) {
                state.addWeights(row[j]);
            }
        }
        for (double b : bias) {
            state.addBias(b);
        }
        for (Optimiser.Slot slot : optimiser.slots(n)) {
            OptimiserSlot.Builder s = OptimiserSlot.newBuilder().setName(slot.name());
            for (double[] row : slot.weights()) {
                for (double v : row) {
                    s.addWeights(v);
                }
            }
            for (double v : slot.bias()) {
                s.addBias(v);
            }
            state.addOptimiserSlots(s);
        }
        return state.build();
    }

    /** A learner rebuilt from a checkpoint, and whether the checkpoint's optimiser state could be used. */
    public record Restored(OnlineLearner learner, boolean optimiserStateRestored, String optimiserStateProblem) {
    }

    /**
     * Rebuilds a learner from a checkpoint written by {@link #toState()}. Weights, bias, feature statistics and
     * counts are always taken; the optimiser state only if the checkpoint was written with the same optimiser,
     * objective and L2 (otherwise the optimiser starts afresh on the restored weights).
     *
     * @throws IllegalArgumentException if the checkpoint is malformed or its labels differ from {@code labels}
     */
    public static Restored restore(LearnerState state, List<String> labels, Objective objective,
                                   Optimiser.Settings optimiser, double l2) {
        if (!state.getLabelsList().equals(labels)) {
            throw new IllegalArgumentException("the checkpoint's labels " + state.getLabelsList()
                + " differ from the configured " + labels);
        }
        int n = state.getFeatureNamesCount();
        int k = labels.size();
        if (state.getFeatureCountCount() != n || state.getFeatureMeanCount() != n || state.getFeatureM2Count() != n
                || state.getFeatureMinCount() != n || state.getFeatureMaxCount() != n
                || state.getWeightsCount() != k * n || state.getBiasCount() != k) {
            throw new IllegalArgumentException("the checkpoint's arrays do not match its " + n + " features and "
                + k + " labels");
        }
        OnlineLearner learner = new OnlineLearner(labels, objective, optimiser, l2);
        for (String name : state.getFeatureNamesList()) {
            learner.indexOf(name);
        }
        if (learner.numFeatures != n) {
            throw new IllegalArgumentException("the checkpoint names a feature twice");
        }
        learner.statsExamples = state.getStatisticsExamples();
        for (int j = 0; j < n; j++) {
            learner.count[j] = state.getFeatureCount(j);
            learner.mean[j] = state.getFeatureMean(j);
            learner.m2[j] = state.getFeatureM2(j);
            learner.min[j] = state.getFeatureMin(j);
            learner.max[j] = state.getFeatureMax(j);
        }
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < n; j++) {
                learner.weights[c][j] = state.getWeights(c * n + j);
            }
            learner.bias[c] = state.getBias(c);
        }
        learner.examplesLearned = state.getExamplesLearned();
        String problem = "";
        if (!state.getSettingsMap().equals(learner.checkpointSettings())) {
            problem = "it was written with " + state.getSettingsMap() + ", the configuration is "
                + learner.checkpointSettings();
        } else {
            try {
                List<Optimiser.Slot> slots = new ArrayList<>();
                for (OptimiserSlot slot : state.getOptimiserSlotsList()) {
                    if (slot.getWeightsCount() != k * n || slot.getBiasCount() != k) {
                        throw new IllegalArgumentException("optimiser slot '" + slot.getName()
                            + "' does not match the weights");
                    }
                    double[][] w = new double[k][n];
                    for (int c = 0; c < k; c++) {
                        for (int j = 0; j < n; j++) {
                            w[c][j] = slot.getWeights(c * n + j);
                        }
                    }
                    double[] b = new double[k];
                    for (int c = 0; c < k; c++) {
                        b[c] = slot.getBias(c);
                    }
                    slots.add(new Optimiser.Slot(slot.getName(), w, b));
                }
                learner.optimiser.restore(slots, state.getOptimiserSteps());
            } catch (IllegalArgumentException e) {
                learner.optimiser.reset();
                problem = e.getMessage();
            }
        }
        return new Restored(learner, problem.isEmpty(), problem);
    }

    /** The class labels, in id order. */
    public List<String> labels() {
        return labels;
    }

    /** Examples learned by this model since it was created, across versions it continued from. */
    public long examplesLearned() {
        return examplesLearned;
    }

    /** Examples the feature statistics cover. */
    public long statisticsExamples() {
        return statsExamples;
    }

    /** Number of features known so far. */
    public int numFeatures() {
        return numFeatures;
    }

    public double learningRate() {
        return optimiserSettings.learningRate();
    }

    public Objective objective() {
        return objectiveKind;
    }

    public Optimiser.Settings optimiserSettings() {
        return optimiserSettings;
    }

    public double l2() {
        return l2;
    }

    /** Statistics of one feature over the examples where it was present (Tribuo's {@code RealInfo} semantics). */
    public record FeatureStatistics(String name, long count, double mean, double sumSquaredDeviations,
                                    double min, double max) {
    }

    /**
     * A linear model over raw features: {@code weights[label][feature]}, features in {@code featureNames} order,
     * with the statistics of those features over {@code statisticsExamples} examples (may be empty when unknown).
     */
    public record RawModel(List<String> labels, List<String> featureNames, double[][] weights, double[] bias,
                           List<FeatureStatistics> statistics, long statisticsExamples) {
    }
}
