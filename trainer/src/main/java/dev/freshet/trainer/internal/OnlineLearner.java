package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.OptimiserSlot;

/**
 * A linear classifier (logistic or hinge loss) learned one example at a time with an {@link Optimiser} and L2, on
 * features standardised online. Owns all of its state in growable arrays so that a feature never seen before can
 * join mid-stream and the state can be copied as a snapshot and written to a checkpoint.
 *
 * <p>Feature statistics follow Tribuo's {@code RealInfo} semantics (count, mean, sum of squared deviations and
 * min/max over the examples where the feature is present; an absent feature is the value 0 to a Tribuo model).
 * Standardisation depends on whether a feature has been present in every one of the N examples observed:
 * <ul>
 *   <li>a <em>dense</em> feature (count = N: numeric columns, typically) is centred and scaled,
 *       {@code z = (x - mean) / std}, exactly;</li>
 *   <li>a <em>sparse</em> feature (absent from some example: one-hot categories, features that joined mid-stream)
 *       is only scaled, {@code z = x / rms} with {@code rms} its root mean square over all N examples, so that an
 *       absent feature is {@code z = 0}. The first time a dense feature is absent it becomes sparse, its centring
 *       folded into the bias so that predictions do not jump.</li>
 * </ul>
 * An example therefore costs time in proportion to its non-zero features, not to the whole feature space: scoring,
 * the gradient, L2 and the optimiser's step touch only the features present (L2 is applied lazily, when a feature
 * occurs), and both kinds fold exactly into a linear model over raw features ({@link #toRawModel()}).
 *
 * <p>The per-example path ({@link #learn(int[], double[], int, int, boolean)}) allocates nothing: it works in
 * scratch arrays owned by the instance and leaves the outcome in {@link #lastPredicted()},
 * {@link #lastLogLoss()} and {@link #lastPositiveScore()}.
 *
 * <p>Not thread-safe: one thread owns an instance; publish {@link #copy()} snapshots to others. Predicting works in
 * the same scratch space as learning, so even a snapshot answers one thread at a time.
 */
final class OnlineLearner {
    /** Below this a feature is (so far) constant; it is then centred but not scaled. */
    private static final double MIN_STD = 1e-9;
    private static final int INITIAL_CAPACITY = 16;
    private static final double HINGE_MARGIN = 1.0;

    private final List<String> labels;
    private final int numLabels;
    private final Optimiser.Settings optimiserSettings;
    private final double l2;
    private final Objective objectiveKind;

    private final Map<String, Integer> featureIndex;
    private final List<String> featureNames;
    private int numFeatures;

    private long statsExamples;
    private long[] count;
    private double[] mean;
    private double[] m2;
    private double[] min;
    private double[] max;
    /** Features whose count equals statsExamples (derived from the counts, never checkpointed). */
    private int denseFeatures;
    /**
     * Two classes whose weights and bias are exact negatives of each other (and whose optimiser state mirrors):
     * true from a fresh start, kept by opposite steps, so each step computes one output and mirrors it. Derived
     * from the state, never checkpointed.
     */
    private boolean mirrored;

    private double[][] weights;
    private final double[] bias;
    private final Optimiser optimiser;

    private long examplesLearned;

    // Regression only: the label's statistics (Welford), which standardise it while learning.
    private long targetCount;
    private double targetMean;
    private double targetM2;

    // Scratch space of the per-example path; holds nothing between calls.
    private int[] exampleIds = new int[INITIAL_CAPACITY];
    private double[] exampleValues = new double[INITIAL_CAPACITY];
    private double[] standardised = new double[INITIAL_CAPACITY];
    private int[] lastSeen = new int[INITIAL_CAPACITY];
    private int stamp;
    private final double[] scores;
    private final double[] probabilities;
    private final double[] ascent;

    private int lastPredicted;
    /** The probability the last example's true label got; its log loss is computed only when asked for. */
    private double lastTrueProbability;
    private double lastPositiveScore;

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
        if (objective.regression() ? labels.size() != 1 : labels.size() < 2) {
            throw new IllegalArgumentException(objective.regression()
                ? "A regression has one output (its name as the only label), got " + labels
                : "At least two class labels are needed, got " + labels);
        }
        this.labels = List.copyOf(labels);
        this.numLabels = labels.size();
        this.objectiveKind = objective;
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
        this.scores = new double[k];
        this.probabilities = new double[k];
        this.ascent = new double[k];
        this.mirrored = k == 2 && !objective.regression() && this.optimiser.canMirror();
    }

    private OnlineLearner(OnlineLearner other) {
        this.labels = other.labels;
        this.numLabels = other.numLabels;
        this.objectiveKind = other.objectiveKind;
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
        this.denseFeatures = other.denseFeatures;
        this.mirrored = other.mirrored;
        this.weights = deepCopy(other.weights);
        this.bias = other.bias.clone();
        this.optimiser = other.optimiser.copy();
        this.examplesLearned = other.examplesLearned;
        this.targetCount = other.targetCount;
        this.targetMean = other.targetMean;
        this.targetM2 = other.targetM2;
        this.lastSeen = new int[other.lastSeen.length];
        this.scores = new double[numLabels];
        this.probabilities = new double[numLabels];
        this.ascent = new double[numLabels];
    }

    /** A deep copy that shares nothing mutable with this learner. */
    public OnlineLearner copy() {
        return new OnlineLearner(this);
    }

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
        int nnz = gather(features, true);
        int predicted = learnGathered(nnz, labelId, updateStatistics);
        return new Outcome(predicted, labelId, lastLogLoss(), lastPositiveScore);
    }

    /**
     * Regression (a learner with one output): tests then trains on one example with a numeric target. Updates the
     * feature statistics, predicts, then takes one optimiser step along the ascent direction that Tribuo's
     * regression objective gives for the prediction.
     *
     * @param features raw feature values by name (finite); features not given count as 0
     * @param target the true value (finite)
     * @param loss Tribuo's squared or Huber loss
     * @param updateStatistics false to keep the standardisation fixed (later epochs of a retrain)
     * @return the value predicted before learning
     */
    public double learnValue(Map<String, Double> features, double target,
                             org.tribuo.regression.sgd.RegressionObjective loss, boolean updateStatistics) {
        if (numLabels != 1) {
            throw new IllegalStateException("learnValue needs a regression learner (one output), this has "
                + numLabels);
        }
        int nnz = gather(features, true);
        if (updateStatistics) {
            observe(nnz);
        } else {
            nnz = completeDense(nnz);
        }
        standardise(nnz);
        computeScores(nnz);
        // The label is standardised online too, so one learning rate suits any label scale. The prediction uses
        // the statistics from before this label; the step, the ones that include it.
        double predicted = targetMean + targetScale() * scores[0];
        if (updateStatistics) {
            long c = ++targetCount;
            double delta = target - targetMean;
            targetMean += delta / c;
            targetM2 += delta * (target - targetMean);
        }
        double sigma = targetScale();
        double current = targetMean + sigma * scores[0];
        // Tribuo's loss in label units (so Huber's threshold is in label units), divided by sigma: the ascent
        // direction for the standardised score.
        double g = loss.lossAndGradient(org.tribuo.math.la.DenseVector.createDenseVector(new double[] {target}),
            org.tribuo.math.la.DenseVector.createDenseVector(new double[] {current})).getB().get(0) / sigma;
        optimiser.beginStep();
        optimiser.updateWeights(0, weights[0], exampleIds, standardised, nnz, g, l2);
        if (g != 0.0) {
            bias[0] += optimiser.biasDelta(0, g);
        }
        if (updateStatistics) {
            examplesLearned++;
        }
        return predicted;
    }

    /** Regression: the value predicted for raw features under the current state, without learning. */
    public double predictValue(Map<String, Double> features) {
        int nnz = completeDense(gather(features, false));
        standardise(nnz);
        computeScores(nnz);
        return targetMean + targetScale() * scores[0];
    }

    /** Standard deviation of the regression label so far, or 1 while it is (so far) constant. */
    private double targetScale() {
        if (targetCount < 2) {
            return 1.0;
        }
        double std = Math.sqrt(Math.max(targetM2 / targetCount, 0.0));
        return std < MIN_STD ? 1.0 : std;
    }

    /**
     * Tests then trains on one example given by feature ids ({@link #featureId}), without allocating. The outcome
     * is left in {@link #lastPredicted()}, {@link #lastLogLoss()} and {@link #lastPositiveScore()}.
     *
     * @param ids distinct known feature ids of the non-zero features (only the first {@code nnz} are read)
     * @param values their finite raw values, in the same order
     * @param nnz how many features the example has
     * @param labelId the label's position in {@link #labels()}
     * @param updateStatistics false to keep the standardisation fixed (later epochs of a retrain)
     * @return the label id predicted before learning
     * @throws IllegalArgumentException for an unknown or repeated id, a non-finite value or an unknown label id;
     *     the learner is then unchanged
     */
    public int learn(int[] ids, double[] values, int nnz, int labelId, boolean updateStatistics) {
        if (labelId < 0 || labelId >= numLabels) {
            throw new IllegalArgumentException("label id " + labelId + " is not one of the " + numLabels
                + " labels " + labels);
        }
        ensureScratch(nnz);
        int stampNow = nextStamp();
        for (int i = 0; i < nnz; i++) {
            int j = ids[i];
            if (j < 0 || j >= numFeatures) {
                throw new IllegalArgumentException("feature id " + j + " at position " + i + " is unknown; "
                    + numFeatures + " features are known");
            }
            if (lastSeen[j] == stampNow) {
                throw new IllegalArgumentException("feature id " + j + " ('" + featureNames.get(j)
                    + "') occurs twice in one example");
            }
            lastSeen[j] = stampNow;
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("feature '" + featureNames.get(j) + "' is " + values[i]);
            }
            exampleIds[i] = j;
            exampleValues[i] = values[i];
        }
        return learnGathered(nnz, labelId, updateStatistics);
    }

    /** The id of a feature name, registering it (with no examples yet) when new. Ids are 0, 1, 2... */
    public int featureId(String name) {
        return indexOf(name);
    }

    /** Features known so far: what a copy's memory grows with. */
    int featureCount() {
        return numFeatures;
    }

    /** The label id predicted by the last {@code learn}. */
    public int lastPredicted() {
        return lastPredicted;
    }

    /** Minus the log of the probability the last {@code learn} gave its true label, before learning. */
    public double lastLogLoss() {
        return -Math.log(Math.max(lastTrueProbability, 1e-15));
    }

    /** The probability the last {@code learn} gave its true label, before learning. */
    public double lastTrueProbability() {
        return lastTrueProbability;
    }

    /** The probability of label id 1 the last {@code learn} predicted, before learning. */
    public double lastPositiveScore() {
        return lastPositiveScore;
    }

    /** Class probabilities for raw features under the current state, without learning. Unknown features are ignored. */
    public double[] predictProbabilities(Map<String, Double> features) {
        int nnz = completeDense(gather(features, false));
        standardise(nnz);
        computeScores(nnz);
        double[] p = new double[numLabels];
        softmax(scores, p);
        return p;
    }

    /** Copies a named example into the scratch arrays; unknown names are registered, or skipped when not. */
    private int gather(Map<String, Double> features, boolean register) {
        ensureScratch(features.size());
        int nnz = 0;
        for (Map.Entry<String, Double> e : features.entrySet()) {
            int j;
            if (register) {
                j = indexOf(e.getKey());
            } else {
                Integer known = featureIndex.get(e.getKey());
                if (known == null) {
                    continue;
                }
                j = known;
            }
            exampleIds[nnz] = j;
            exampleValues[nnz] = e.getValue();
            nnz++;
        }
        return nnz;
    }

    /** Test-then-train on the example in the scratch arrays. */
    private int learnGathered(int nnz, int labelId, boolean updateStatistics) {
        if (updateStatistics) {
            observe(nnz);
        } else {
            nnz = completeDense(nnz);
        }
        standardise(nnz);
        computeScores(nnz);
        int predicted = argMax(scores);
        // Log loss is reported for every objective, on the softmax of the scores (what a published model outputs).
        softmax(scores, probabilities);
        lastPredicted = predicted;
        lastPositiveScore = probabilities[1];
        lastTrueProbability = probabilities[labelId];
        if (objectiveKind == Objective.LOGISTIC && numLabels == 2) {
            // Exactly opposite, as the two ascents are in exact arithmetic, so that the outputs stay mirrored.
            ascent[1] = (labelId == 1 ? 1.0 : 0.0) - probabilities[1];
            ascent[0] = -ascent[1];
        } else if (objectiveKind == Objective.LOGISTIC) {
            for (int k = 0; k < numLabels; k++) {
                ascent[k] = (k == labelId ? 1.0 : 0.0) - probabilities[k];
            }
        } else {
            hingeAscent(labelId);
        }
        optimiser.beginStep();
        if (mirrored) {
            double g = ascent[0];
            optimiser.updateMirrored(weights[0], weights[1], exampleIds, standardised, nnz, g, l2);
            if (g != 0.0) {
                double delta = optimiser.biasDeltaMirrored(g);
                bias[0] += delta;
                bias[1] -= delta;
            }
        } else {
            for (int k = 0; k < numLabels; k++) {
                double g = ascent[k];
                optimiser.updateWeights(k, weights[k], exampleIds, standardised, nnz, g, l2);
                if (g != 0.0) {
                    bias[k] += optimiser.biasDelta(k, g);
                }
            }
        }
        if (updateStatistics) {
            // Later passes over the same examples (retraining) learn nothing new to count.
            examplesLearned++;
        }
        return predicted;
    }

    /**
     * Tribuo's multiclass hinge ({@code Hinge}, margin 1): with the true label's score lowered by the margin, if
     * another label scores highest, ascend on the true label and descend on that one.
     */
    private void hingeAscent(int labelId) {
        Arrays.fill(ascent, 0.0);
        scores[labelId] -= HINGE_MARGIN;
        int top = argMax(scores);
        scores[labelId] += HINGE_MARGIN;
        if (top != labelId) {
            ascent[labelId] = HINGE_MARGIN;
            ascent[top] = -HINGE_MARGIN;
        }
    }

    /** Updates the statistics with the example in the scratch arrays (Welford), demoting absent dense features. */
    private void observe(int nnz) {
        long previous = statsExamples;
        statsExamples++;
        int stillDense = 0;
        for (int i = 0; i < nnz; i++) {
            int j = exampleIds[i];
            double x = exampleValues[i];
            long c = count[j];
            if (c == previous) {
                stillDense++;
            }
            count[j] = ++c;
            double delta = x - mean[j];
            mean[j] += delta / c;
            m2[j] += delta * (x - mean[j]);
            if (x < min[j]) {
                min[j] = x;
            }
            if (x > max[j]) {
                max[j] = x;
            }
        }
        if (stillDense < denseFeatures && previous > 0) {
            demoteAbsentDense(previous);
        }
        denseFeatures = stillDense;
    }

    /**
     * Dense features absent from this example become sparse: their centring ({@code -w mean / std} at the
     * statistics before this example) moves into the bias, so the model predicts as before for examples that have
     * them. Happens at most once per feature, so its cost over the whole feature space does not recur.
     */
    private void demoteAbsentDense(long previous) {
        for (int j = 0; j < numFeatures; j++) {
            if (count[j] == previous) {
                double sigma = denseStd(j, 1.0 / previous);
                for (int k = 0; k < numLabels; k++) {
                    bias[k] -= weights[k][j] * mean[j] / sigma;
                }
            }
        }
    }

    /**
     * Outside learning (prediction, later retrain epochs) a dense feature may be absent without being demoted:
     * it then takes part as the value 0, as a Tribuo model fed raw features sees it.
     */
    private int completeDense(int nnz) {
        if (statsExamples == 0 || denseFeatures == 0) {
            return nnz;
        }
        int presentDense = 0;
        int stampNow = nextStamp();
        for (int i = 0; i < nnz; i++) {
            int j = exampleIds[i];
            lastSeen[j] = stampNow;
            if (count[j] == statsExamples) {
                presentDense++;
            }
        }
        if (presentDense == denseFeatures) {
            return nnz;
        }
        ensureScratch(nnz + denseFeatures - presentDense);
        for (int j = 0; j < numFeatures; j++) {
            if (count[j] == statsExamples && lastSeen[j] != stampNow) {
                exampleIds[nnz] = j;
                exampleValues[nnz] = 0.0;
                nnz++;
            }
        }
        return nnz;
    }

    /** Fills {@code standardised} for the example in the scratch arrays. */
    private void standardise(int nnz) {
        long n = statsExamples;
        double perExample = 1.0 / n;
        for (int i = 0; i < nnz; i++) {
            int j = exampleIds[i];
            double x = exampleValues[i];
            if (n == 0 || count[j] == 0) {
                standardised[i] = x;
            } else if (count[j] == n) {
                standardised[i] = (x - mean[j]) / denseStd(j, perExample);
            } else {
                standardised[i] = x / sparseRms(j, perExample);
            }
        }
    }

    private void computeScores(int nnz) {
        if (mirrored) {
            double s = bias[0];
            double[] w = weights[0];
            for (int i = 0; i < nnz; i++) {
                s += w[exampleIds[i]] * standardised[i];
            }
            scores[0] = s;
            scores[1] = -s;
            return;
        }
        for (int k = 0; k < numLabels; k++) {
            double s = bias[k];
            double[] w = weights[k];
            for (int i = 0; i < nnz; i++) {
                s += w[exampleIds[i]] * standardised[i];
            }
            scores[k] = s;
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
        if (statsExamples == 0) {
            // Present in every one of no examples: dense until an example lacks it.
            denseFeatures++;
        }
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
        lastSeen = Arrays.copyOf(lastSeen, capacity);
        for (int k = 0; k < weights.length; k++) {
            weights[k] = Arrays.copyOf(weights[k], capacity);
        }
        optimiser.grow(capacity);
    }

    private void ensureScratch(int needed) {
        if (needed > exampleIds.length) {
            int capacity = Math.max(needed, exampleIds.length * 2);
            exampleIds = Arrays.copyOf(exampleIds, capacity);
            exampleValues = Arrays.copyOf(exampleValues, capacity);
            standardised = new double[capacity];
        }
    }

    private int nextStamp() {
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(lastSeen, 0);
            stamp = 1;
        }
        return stamp;
    }

    private void recountDense() {
        int dense = 0;
        for (int j = 0; j < numFeatures; j++) {
            if (count[j] == statsExamples) {
                dense++;
            }
        }
        denseFeatures = dense;
    }

    /** True when feature j was present in every example observed. */
    boolean isDense(int j) {
        return count[j] == statsExamples;
    }

    /** Standard deviation of a dense feature over n = 1 / perExample examples, or 1 while it is constant. */
    private double denseStd(int j, double perExample) {
        double std = Math.sqrt(Math.max(m2[j] * perExample, 0.0));
        return std < MIN_STD ? 1.0 : std;
    }

    /** Root mean square of a sparse feature over n = 1 / perExample examples (absent = 0), or 1 while 0 throughout. */
    private double sparseRms(int j, double perExample) {
        double c = count[j];
        double rms = Math.sqrt(Math.max((m2[j] + c * mean[j] * mean[j]) * perExample, 0.0));
        return rms < MIN_STD ? 1.0 : rms;
    }

    /** What feature j's standardisation subtracts before scaling: its mean if dense, else 0. */
    double centre(int j) {
        if (statsExamples == 0 || count[j] == 0 || count[j] != statsExamples) {
            return 0.0;
        }
        return mean[j];
    }

    /** What feature j's standardisation divides by: its standard deviation if dense, else its root mean square. */
    double scale(int j) {
        if (statsExamples == 0 || count[j] == 0) {
            return 1.0;
        }
        double perExample = 1.0 / statsExamples;
        return count[j] == statsExamples ? denseStd(j, perExample) : sparseRms(j, perExample);
    }

    static double[] softmax(double[] scores) {
        double[] p = new double[scores.length];
        softmax(scores, p);
        return p;
    }

    private static void softmax(double[] scores, double[] p) {
        if (scores.length == 2) {
            // The logistic function of the difference: one exponential instead of two.
            p[1] = 1.0 / (1.0 + Math.exp(scores[0] - scores[1]));
            p[0] = 1.0 - p[1];
            return;
        }
        double top = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            top = Math.max(top, s);
        }
        double sum = 0.0;
        for (int k = 0; k < scores.length; k++) {
            p[k] = Math.exp(scores[k] - top);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
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
        if (objectiveKind.regression()) {
            // Unfold the label's standardisation too: raw prediction = mean + sigma * standardised prediction.
            double sigma = targetScale();
            for (int col = 0; col < names.size(); col++) {
                rawWeights[0][col] *= sigma;
            }
            rawBias[0] = targetMean + sigma * rawBias[0];
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
        recountDense();
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
        mirrored = checkMirrored();
    }

    /** Whether the state is two exactly opposite outputs (see {@link #mirrored}); O(features). */
    private boolean checkMirrored() {
        if (numLabels != 2 || objectiveKind.regression() || !optimiser.canMirror() || bias[1] != -bias[0]
                || !optimiser.stateMirrored(numFeatures)) {
            return false;
        }
        for (int j = 0; j < numFeatures; j++) {
            if (weights[1][j] != -weights[0][j]) {
                return false;
            }
        }
        return true;
    }

    /** Computes every output in full from now on (tests compare the mirrored step with it). */
    void stopMirroring() {
        mirrored = false;
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
            .setTask(objectiveKind.regression() ? "regression" : "classification")
            .setTargetCount(targetCount)
            .setTargetMean(targetMean)
            .setTargetM2(targetM2)
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
        learner.recountDense();
        learner.examplesLearned = state.getExamplesLearned();
        learner.targetCount = state.getTargetCount();
        learner.targetMean = state.getTargetMean();
        learner.targetM2 = state.getTargetM2();
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
        learner.mirrored = learner.checkMirrored();
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
