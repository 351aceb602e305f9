package dev.freshet.trainer.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.tribuo.regression.sgd.RegressionObjective;

/**
 * A linear model (logistic or hinge loss for classes, squared or Huber loss for a number) learned one example at a
 * time with an {@link Optimiser} and L2, on features standardised online by a {@link RunningStandardiser}. Owns all
 * of its state in growable arrays indexed by feature id ({@link FeatureVocabulary}), so that a feature never seen
 * before can join mid-stream and the state can be copied as a snapshot and written to a checkpoint
 * ({@link LearnerCheckpoint}).
 *
 * <p>An example costs time in proportion to its non-zero features, not to the whole feature space: scoring, the
 * gradient, L2 and the optimiser's step touch only the features present (L2 is applied lazily, when a feature
 * occurs), and the standardisation folds exactly into a linear model over raw features ({@link RawModels}).
 *
 * <p>The per-example path ({@link #learn(int[], double[], int, int, boolean)}) allocates nothing: it works in
 * scratch arrays owned by the instance and leaves the outcome in {@link #lastPredicted()},
 * {@link #lastLogLoss()} and {@link #lastPositiveScore()}.
 *
 * <p>Not thread-safe: one thread owns an instance; publish {@link #copy()} snapshots to others. Predicting works in
 * the same scratch space as learning, so even a snapshot answers one thread at a time.
 */
final class OnlineLearner {
    private static final int INITIAL_CAPACITY = 16;

    private final LearnerSpec spec;
    private final int numLabels;
    private final double l2;

    private final FeatureVocabulary vocabulary;
    private final RunningStandardiser standardiser;
    private int numFeatures;
    /**
     * Two classes whose weights and bias are exact negatives of each other (and whose optimiser state mirrors):
     * true from a fresh start, kept by opposite steps, so each step computes one output and mirrors it. Derived
     * from the state, never checkpointed.
     */
    private boolean mirrored;

    private final double[][] weights;
    private final double[] bias;
    private final Optimiser optimiser;

    private long examplesLearned;

    /** Regression only: the label's moments. */
    private final LabelMoments labelMoments;

    // Scratch space of the per-example path; holds nothing between calls.
    private final ExampleBuffer example;
    private final double[] scores;
    private final double[] probabilities;
    private final double[] ascent;

    private int lastPredicted;
    /** The probability the last example's true label got; its log loss is computed only when asked for. */
    private double lastTrueProbability;
    private double lastPositiveScore;

    /**
     * Logistic loss with AdaGrad at {@code learningRate}.
     *
     * @see LearnerSpec
     */
    OnlineLearner(List<String> labels, double learningRate, double l2) {
        this(labels, Objective.LOGISTIC, Optimiser.Settings.adaGrad(learningRate), l2);
    }

    /** @see LearnerSpec */
    OnlineLearner(List<String> labels, Objective objective, Optimiser.Settings optimiser, double l2) {
        this.spec = new LearnerSpec(labels, objective, optimiser, l2);
        this.numLabels = spec.labels().size();
        this.l2 = l2;
        this.vocabulary = new FeatureVocabulary();
        this.standardiser = new RunningStandardiser(INITIAL_CAPACITY);
        this.weights = new double[numLabels][INITIAL_CAPACITY];
        this.bias = new double[numLabels];
        this.optimiser = new Optimiser(optimiser, numLabels, INITIAL_CAPACITY);
        this.labelMoments = new LabelMoments();
        this.example = new ExampleBuffer(INITIAL_CAPACITY, INITIAL_CAPACITY);
        this.scores = new double[numLabels];
        this.probabilities = new double[numLabels];
        this.ascent = new double[numLabels];
        this.mirrored = numLabels == 2 && !objective.regression() && this.optimiser.canMirror();
    }

    private OnlineLearner(OnlineLearner other) {
        this.spec = other.spec;
        this.numLabels = other.numLabels;
        this.l2 = other.l2;
        this.vocabulary = other.vocabulary.copy();
        this.standardiser = other.standardiser.copy();
        this.numFeatures = other.numFeatures;
        this.mirrored = other.mirrored;
        this.weights = new double[numLabels][];
        for (int k = 0; k < numLabels; k++) {
            weights[k] = other.weights[k].clone();
        }
        this.bias = other.bias.clone();
        this.optimiser = other.optimiser.copy();
        this.examplesLearned = other.examplesLearned;
        this.labelMoments = other.labelMoments.copy();
        this.example = new ExampleBuffer(INITIAL_CAPACITY, other.example.featureCapacity());
        this.scores = new double[numLabels];
        this.probabilities = new double[numLabels];
        this.ascent = new double[numLabels];
    }

    /** A deep copy that shares nothing mutable with this learner. */
    OnlineLearner copy() {
        return new OnlineLearner(this);
    }

    /**
     * Tests then trains on one example: updates the feature statistics, predicts, records the loss, then takes
     * one optimiser step.
     *
     * @param features raw feature values by name (finite); features not given count as 0
     * @param labelId the label's position in {@link #labels()}
     * @param updateStatistics false to keep the standardisation fixed (later epochs of a retrain)
     */
    TestOutcome learn(Map<String, Double> features, int labelId, boolean updateStatistics) {
        int predicted = learnNamed(features, labelId, updateStatistics);
        return new TestOutcome(predicted, labelId, lastLogLoss(), lastPositiveScore);
    }

    /**
     * As {@link #learn(Map, int, boolean)}, without allocating: the outcome is left in {@link #lastPredicted()},
     * {@link #lastProbabilities()}, {@link #lastLogLoss()} and {@link #lastPositiveScore()}.
     *
     * @return the label id predicted before learning
     */
    int learnNamed(Map<String, Double> features, int labelId, boolean updateStatistics) {
        return learnGathered(gather(features, true), labelId, updateStatistics);
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
    double learnValue(Map<String, Double> features, double target, RegressionObjective loss,
                      boolean updateStatistics) {
        if (numLabels != 1) {
            throw new IllegalStateException("learnValue needs a regression learner (one output), this has "
                + numLabels);
        }
        int nnz = prepare(gather(features, true), updateStatistics);
        // The label is standardised online too, so one learning rate suits any label scale. The prediction uses
        // the statistics from before this label; the step, the ones that include it.
        double predicted = labelMoments.mean() + labelMoments.std() * scores[0];
        if (updateStatistics) {
            labelMoments.observe(target);
        }
        double sigma = labelMoments.std();
        double g = Losses.regressionAscent(loss, target, labelMoments.mean() + sigma * scores[0], sigma);
        optimiser.beginStep();
        optimiser.updateWeights(0, weights[0], example.ids, example.standardised, nnz, g, l2);
        if (g != 0.0) {
            bias[0] += optimiser.biasDelta(0, g);
        }
        if (updateStatistics) {
            examplesLearned++;
        }
        return predicted;
    }

    /** Regression: the value predicted for raw features under the current state, without learning. */
    double predictValue(Map<String, Double> features) {
        prepare(gather(features, false), false);
        return labelMoments.mean() + labelMoments.std() * scores[0];
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
    int learn(int[] ids, double[] values, int nnz, int labelId, boolean updateStatistics) {
        if (labelId < 0 || labelId >= numLabels) {
            throw new IllegalArgumentException("label id " + labelId + " is not one of the " + numLabels
                + " labels " + spec.labels());
        }
        example.copyChecked(ids, values, nnz, vocabulary);
        return learnGathered(nnz, labelId, updateStatistics);
    }

    /** The id of a feature name, registering it (with no examples yet) when new. Ids are 0, 1, 2... */
    int featureId(String name) {
        int j = vocabulary.idOf(name);
        if (j >= 0) {
            return j;
        }
        int id = vocabulary.add(name);
        numFeatures++;
        ensureCapacity(numFeatures);
        standardiser.addFeature();
        return id;
    }

    /** The label id predicted by the last {@code learn}. */
    int lastPredicted() {
        return lastPredicted;
    }

    /** Minus the log of the probability the last {@code learn} gave its true label, before learning. */
    double lastLogLoss() {
        return -Math.log(Math.max(lastTrueProbability, 1e-15));
    }

    /**
     * The class probabilities the last {@code learn} predicted, before learning, in label-id order: the learner's
     * own scratch array, overwritten by the next call; read it, never keep or change it.
     */
    double[] lastProbabilities() {
        return probabilities;
    }

    /** The probability the last {@code learn} gave its true label, before learning. */
    double lastTrueProbability() {
        return lastTrueProbability;
    }

    /** The probability of label id 1 the last {@code learn} predicted, before learning. */
    double lastPositiveScore() {
        return lastPositiveScore;
    }

    /** Class probabilities for raw features under the current state, without learning. Unknown features are ignored. */
    double[] predictProbabilities(Map<String, Double> features) {
        prepare(gather(features, false), false);
        return Losses.softmax(scores);
    }

    /** Copies a named example into the scratch arrays; unknown names are registered, or skipped when not. */
    private int gather(Map<String, Double> features, boolean register) {
        example.ensure(features.size());
        int[] ids = example.ids;
        double[] values = example.values;
        int nnz = 0;
        for (Map.Entry<String, Double> e : features.entrySet()) {
            int j = register ? featureId(e.getKey()) : vocabulary.idOf(e.getKey());
            if (j < 0) {
                continue;
            }
            ids[nnz] = j;
            values[nnz] = e.getValue();
            nnz++;
        }
        return nnz;
    }

    /**
     * Observes the example in the scratch arrays (or, with the statistics fixed, completes its dense features),
     * standardises it and scores it.
     *
     * @return the example's features, including any dense ones added as 0
     */
    private int prepare(int nnz, boolean updateStatistics) {
        if (updateStatistics) {
            standardiser.observe(example.ids, example.values, nnz, weights, bias);
        } else {
            nnz = example.completeDense(nnz, standardiser);
        }
        standardiser.standardise(example.ids, example.values, example.standardised, nnz);
        computeScores(nnz);
        return nnz;
    }

    /** Test-then-train on the example in the scratch arrays. */
    private int learnGathered(int nnz, int labelId, boolean updateStatistics) {
        nnz = prepare(nnz, updateStatistics);
        int predicted = Losses.argMax(scores);
        // Log loss is reported for every objective, on the softmax of the scores (what a published model outputs).
        Losses.softmax(scores, probabilities);
        lastPredicted = predicted;
        lastPositiveScore = probabilities[1];
        lastTrueProbability = probabilities[labelId];
        if (spec.objective() == Objective.LOGISTIC) {
            Losses.logisticAscent(probabilities, labelId, ascent);
        } else {
            Losses.hingeAscent(scores, labelId, ascent);
        }
        step(nnz);
        if (updateStatistics) {
            // Later passes over the same examples (retraining) learn nothing new to count.
            examplesLearned++;
        }
        return predicted;
    }

    /** One optimiser step of every output along {@code ascent}, over the standardised example. */
    private void step(int nnz) {
        int[] ids = example.ids;
        double[] standardised = example.standardised;
        optimiser.beginStep();
        if (mirrored) {
            double g = ascent[0];
            optimiser.updateMirrored(weights[0], weights[1], ids, standardised, nnz, g, l2);
            if (g != 0.0) {
                double delta = optimiser.biasDeltaMirrored(g);
                bias[0] += delta;
                bias[1] -= delta;
            }
            return;
        }
        for (int k = 0; k < numLabels; k++) {
            double g = ascent[k];
            optimiser.updateWeights(k, weights[k], ids, standardised, nnz, g, l2);
            if (g != 0.0) {
                bias[k] += optimiser.biasDelta(k, g);
            }
        }
    }

    private void computeScores(int nnz) {
        int[] ids = example.ids;
        double[] standardised = example.standardised;
        if (mirrored) {
            double s = bias[0];
            double[] w = weights[0];
            for (int i = 0; i < nnz; i++) {
                s += w[ids[i]] * standardised[i];
            }
            scores[0] = s;
            scores[1] = -s;
            return;
        }
        for (int k = 0; k < numLabels; k++) {
            double s = bias[k];
            double[] w = weights[k];
            for (int i = 0; i < nnz; i++) {
                s += w[ids[i]] * standardised[i];
            }
            scores[k] = s;
        }
    }

    private void ensureCapacity(int needed) {
        int capacity = weights[0].length;
        if (needed <= capacity) {
            return;
        }
        capacity = Math.max(needed, capacity * 2);
        standardiser.grow(capacity);
        example.growFeatures(capacity);
        for (int k = 0; k < weights.length; k++) {
            weights[k] = Arrays.copyOf(weights[k], capacity);
        }
        optimiser.grow(capacity);
    }

    /**
     * Continues from a model given in raw feature space, so that this learner predicts what the model predicts
     * (see {@link RawModels#unfold}); the optimiser's state restarts from zero, since the model does not carry it.
     *
     * @param model weights per label of this learner (same order as {@link #labels()})
     * @param examplesLearned examples the adopted model had learned, carried on in lineage counts
     */
    void adopt(RawModel model, long examplesLearned) {
        RawModels.unfold(model, this);
        this.examplesLearned = examplesLearned;
        recheckMirrored();
    }

    /** Derives whether the state is two exactly opposite outputs (see {@link #mirrored}); O(features). */
    void recheckMirrored() {
        mirrored = numLabels == 2 && !spec.objective().regression() && optimiser.canMirror() && bias[1] == -bias[0]
            && optimiser.stateMirrored(numFeatures) && weightsMirrored();
    }

    private boolean weightsMirrored() {
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

    /** Sets the count a checkpoint carries besides the state. */
    void restoreExamplesLearned(long examplesLearned) {
        this.examplesLearned = examplesLearned;
    }

    // The state itself, live, for the codec and the raw-space folding; only the owning thread may touch it.

    FeatureVocabulary vocabulary() {
        return vocabulary;
    }

    RunningStandardiser standardiser() {
        return standardiser;
    }

    /** {@code weights[label][featureId]} over standardised features; rows may be longer than the features known. */
    double[][] weights() {
        return weights;
    }

    double[] bias() {
        return bias;
    }

    Optimiser optimiser() {
        return optimiser;
    }

    /** A regression's label moments (unused by a classifier). */
    LabelMoments labelMoments() {
        return labelMoments;
    }

    /** What this learner is. */
    LearnerSpec spec() {
        return spec;
    }

    /** The class labels, in id order. */
    List<String> labels() {
        return spec.labels();
    }

    /** Examples learned by this model since it was created, across versions it continued from. */
    long examplesLearned() {
        return examplesLearned;
    }

    /** Number of features known so far: what a copy's memory grows with. */
    int numFeatures() {
        return numFeatures;
    }

}
