package dev.freshet.trainer.internal;

import java.util.List;
import java.util.Map;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.trainer.TrainerConfig;

/**
 * One model learning test-then-train from training examples handed over in-process, through the trainer's own
 * {@link TestThenTrain} and a learner made as the trainer makes it: the implementation behind
 * {@code dev.freshet.trainer.OnlineModel}. It keeps no retrain window, takes no commands and publishes nothing,
 * so its since-parent figures cover every example since it was made. Not thread-safe.
 */
public final class InProcessModel {
    private final LearningSession.Settings settings;
    private final OnlineLearner learner;
    private final TestThenTrain learning;

    /** A fresh model with the trainer's settings from {@code config}. */
    public InProcessModel(TrainerConfig config) {
        this.settings = LearningSession.Settings.fromConfig(config, "(in-process)", 0);
        this.learner = settings.freshLearner();
        this.learning = new TestThenTrain(settings);
    }

    /**
     * Test-then-train on one example, exactly as the trainer's loop does.
     *
     * @return null when learned (see {@link #lastPredicted()}, {@link #lastProbabilities()},
     *     {@link #lastPredictedValue()}), else the reason it was skipped
     */
    public String learn(TrainingExample example) {
        return learning.learn(learner, example, -1, -1);
    }

    public boolean regression() {
        return settings.objective().regression();
    }

    /** Class labels in id order; a regression's one output name. */
    public List<String> labels() {
        return settings.labels();
    }

    /** The label id the last example learned was predicted, before learning. */
    public int lastPredicted() {
        return learner.lastPredicted();
    }

    /** The class probabilities of the last example learned, before learning: scratch space, copy it to keep it. */
    public double[] lastProbabilities() {
        return learner.lastProbabilities();
    }

    /** Regression: the value the last example learned was predicted, before learning. */
    public double lastPredictedValue() {
        return learning.lastPredictedValue();
    }

    public long examplesLearned() {
        return learning.examplesLearned();
    }

    /** Examples skipped, by reason; a live view. */
    public Map<String, Long> skipped() {
        return learning.skipped();
    }

    /** The figures a version published now would carry, over every example since this model was made. */
    public Map<String, Double> versionMetrics() {
        return learning.versionMetrics();
    }
}
