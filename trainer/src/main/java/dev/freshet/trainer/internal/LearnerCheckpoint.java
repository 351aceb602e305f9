package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.OptimiserSlot;

/**
 * The checkpoint codec: an {@link OnlineLearner}'s complete learning state as the {@link LearnerState} record that
 * every model version carries, and back. The layout is an on-topic format that registries written long ago still
 * hold (the golden files in the tests pin it): per-feature arrays in feature-id order, weights and optimiser slots
 * row-major by label. Stateless.
 */
final class LearnerCheckpoint {
    private LearnerCheckpoint() {
    }

    /** A learner rebuilt from a checkpoint, and whether the checkpoint's optimiser state could be used. */
    record Restored(OnlineLearner learner, boolean optimiserStateRestored, String optimiserStateProblem) {
    }

    /** The complete learning state, for a checkpoint; {@link #restore} gives back an identical learner. */
    static LearnerState write(OnlineLearner learner) {
        int n = learner.numFeatures();
        RunningStandardiser stats = learner.standardiser();
        LearnerState.Builder state = LearnerState.newBuilder()
            .addAllLabels(learner.labels())
            .addAllFeatureNames(learner.vocabulary().names())
            .setStatisticsExamples(stats.examples())
            .setOptimiserSteps(learner.optimiser().steps())
            .setExamplesLearned(learner.examplesLearned())
            .setTask(learner.spec().objective().regression() ? "regression" : "classification")
            .setTargetCount(learner.labelMoments().count())
            .setTargetMean(learner.labelMoments().mean())
            .setTargetM2(learner.labelMoments().m2())
            .putAllSettings(settings(learner));
        for (int j = 0; j < n; j++) {
            state.addFeatureCount(stats.count(j)).addFeatureMean(stats.mean(j)).addFeatureM2(stats.m2(j))
                .addFeatureMin(stats.min(j)).addFeatureMax(stats.max(j));
        }
        for (double[] row : learner.weights()) {
            for (int j = 0; j < n; j++) {
                state.addWeights(row[j]);
            }
        }
        for (double b : learner.bias()) {
            state.addBias(b);
        }
        for (Optimiser.Slot slot : learner.optimiser().slots(n)) {
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

    /** The settings a checkpoint records, to tell whether its optimiser state fits a configuration. */
    private static Map<String, String> settings(OnlineLearner learner) {
        Map<String, String> settings = new LinkedHashMap<>(learner.spec().optimiser().describe());
        settings.put("objective", learner.spec().objective().configName);
        settings.put("l2", Double.toString(learner.spec().l2()));
        return settings;
    }

    /**
     * Rebuilds a learner from a checkpoint written by {@link #write}. Weights, bias, feature statistics and counts
     * are always taken; the optimiser state only if the checkpoint was written with the same optimiser, objective
     * and L2 (otherwise the optimiser starts afresh on the restored weights).
     *
     * @throws IllegalArgumentException if the checkpoint is malformed or its labels differ from {@code labels}
     */
    static Restored restore(LearnerState state, List<String> labels, Objective objective,
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
            learner.featureId(name);
        }
        if (learner.numFeatures() != n) {
            throw new IllegalArgumentException("the checkpoint names a feature twice");
        }
        RunningStandardiser stats = learner.standardiser();
        stats.reset(state.getStatisticsExamples());
        for (int j = 0; j < n; j++) {
            stats.set(j, state.getFeatureCount(j), state.getFeatureMean(j), state.getFeatureM2(j),
                state.getFeatureMin(j), state.getFeatureMax(j));
        }
        stats.recountDense();
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < n; j++) {
                learner.weights()[c][j] = state.getWeights(c * n + j);
            }
            learner.bias()[c] = state.getBias(c);
        }
        learner.restoreExamplesLearned(state.getExamplesLearned());
        learner.labelMoments().set(state.getTargetCount(), state.getTargetMean(), state.getTargetM2());
        String problem = restoreOptimiser(state, learner, k, n);
        learner.recheckMirrored();
        return new Restored(learner, problem.isEmpty(), problem);
    }

    /** Restores the optimiser's slots when they fit this configuration; else resets it. The problem, or empty. */
    private static String restoreOptimiser(LearnerState state, OnlineLearner learner, int k, int n) {
        if (!state.getSettingsMap().equals(settings(learner))) {
            return "it was written with " + state.getSettingsMap() + ", the configuration is " + settings(learner);
        }
        try {
            List<Optimiser.Slot> slots = new ArrayList<>();
            for (OptimiserSlot slot : state.getOptimiserSlotsList()) {
                if (slot.getWeightsCount() != k * n || slot.getBiasCount() != k) {
                    throw new IllegalArgumentException("optimiser slot '" + slot.getName()
                        + "' does not match the weights");
                }
                double[][] w = new double[k][n];
                double[] b = new double[k];
                for (int c = 0; c < k; c++) {
                    for (int j = 0; j < n; j++) {
                        w[c][j] = slot.getWeights(c * n + j);
                    }
                    b[c] = slot.getBias(c);
                }
                slots.add(new Optimiser.Slot(slot.getName(), w, b));
            }
            learner.optimiser().restore(slots, state.getOptimiserSteps());
            return "";
        } catch (IllegalArgumentException e) {
            learner.optimiser().reset();
            return e.getMessage();
        }
    }
}
