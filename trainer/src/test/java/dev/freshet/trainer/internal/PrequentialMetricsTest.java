package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PrequentialMetricsTest {
    private static TestOutcome outcome(int predicted, int actual, double positiveScore) {
        return new TestOutcome(predicted, actual, 0.5, positiveScore);
    }

    @Test
    void aucMatchesThePairwiseDefinitionWithTiesCountedHalf() {
        PrequentialMetrics metrics = new PrequentialMetrics(10_000);
        Random random = new Random(3);
        double[] scores = new double[500];
        int[] labels = new int[500];
        for (int i = 0; i < scores.length; i++) {
            labels[i] = random.nextInt(3) == 0 ? 1 : 0;
            // Rounded so that ties occur.
            scores[i] = Math.round((random.nextDouble() + 0.3 * labels[i]) * 20) / 20.0;
            metrics.record(outcome(scores[i] > 0.5 ? 1 : 0, labels[i], scores[i]));
        }
        double pairs = 0;
        double wins = 0;
        for (int i = 0; i < scores.length; i++) {
            for (int j = 0; j < scores.length; j++) {
                if (labels[i] == 1 && labels[j] == 0) {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }

        Map<String, Double> figures = metrics.asVersionMetrics();

        assertThat(figures.get(PrequentialMetrics.AUC_SINCE_PARENT)).isCloseTo(wins / pairs, within(1e-12));
        assertThat(figures.get(PrequentialMetrics.AUC_WINDOW)).isCloseTo(wins / pairs, within(1e-12));
    }

    @Test
    void aucIsLeftOutWhileOnlyOneClassWasSeen() {
        PrequentialMetrics metrics = new PrequentialMetrics(100);
        metrics.record(outcome(1, 1, 0.9));
        metrics.record(outcome(0, 1, 0.2));

        assertThat(metrics.asVersionMetrics()).doesNotContainKeys(PrequentialMetrics.AUC_SINCE_PARENT,
            PrequentialMetrics.AUC_WINDOW).containsKey(PrequentialMetrics.ACCURACY_SINCE_PARENT);
    }

    @Test
    void macroF1AveragesThePerClassF1OfAMulticlassStream() {
        PrequentialMetrics metrics = new PrequentialMetrics(100, 3);
        // Class 0: TP 2, FN 1 (predicted 1). Class 1: TP 1, FP 1. Class 2: TP 0, FN 1 (predicted 0), FP 0.
        metrics.record(outcome(0, 0, 0));
        metrics.record(outcome(0, 0, 0));
        metrics.record(outcome(1, 0, 0));
        metrics.record(outcome(1, 1, 0));
        metrics.record(outcome(0, 2, 0));
        double f1Class0 = 2.0 * 2 / (2 * 2 + 1 + 1);
        double f1Class1 = 2.0 * 1 / (2 * 1 + 1 + 0);
        double f1Class2 = 0.0;

        assertThat(metrics.asVersionMetrics().get(PrequentialMetrics.MACRO_F1_SINCE_PARENT))
            .isCloseTo((f1Class0 + f1Class1 + f1Class2) / 3, within(1e-12));
    }

    @Test
    void theWindowCoversOnlyTheMostRecentExamplesWhileSinceParentCoversAll() {
        PrequentialMetrics metrics = new PrequentialMetrics(10);
        for (int i = 0; i < 10; i++) {
            metrics.record(outcome(0, 1, 0.1));
        }
        for (int i = 0; i < 10; i++) {
            metrics.record(outcome(1, 1, 0.9));
        }

        Map<String, Double> figures = metrics.asVersionMetrics();

        assertThat(figures).containsEntry(PrequentialMetrics.ACCURACY_WINDOW, 1.0)
            .containsEntry(PrequentialMetrics.ACCURACY_SINCE_PARENT, 0.5)
            .containsEntry(PrequentialMetrics.EXAMPLES_SINCE_PARENT, 20.0)
            .containsEntry(PrequentialMetrics.EXAMPLES_WINDOW, 10.0);
    }

    @Test
    void aRestoredWindowGivesTheSameWindowFiguresAndAnEmptySinceParentPeriod() {
        PrequentialMetrics metrics = new PrequentialMetrics(50);
        Random random = new Random(5);
        for (int i = 0; i < 120; i++) {
            int actual = random.nextInt(2);
            double score = random.nextDouble();
            metrics.record(new TestOutcome(score > 0.5 ? 1 : 0, actual, random.nextDouble(), score));
        }
        PrequentialMetrics restored = new PrequentialMetrics(50);

        assertThat(restored.restoreWindow(metrics.windowState())).isTrue();

        Map<String, Double> expected = metrics.asVersionMetrics();
        Map<String, Double> actual = restored.asVersionMetrics();
        for (String key : new String[] {PrequentialMetrics.ACCURACY_WINDOW, PrequentialMetrics.AUC_WINDOW,
                PrequentialMetrics.MACRO_F1_WINDOW, PrequentialMetrics.LOG_LOSS_WINDOW,
                PrequentialMetrics.EXAMPLES_WINDOW}) {
            assertThat(actual.get(key)).as(key).isCloseTo(expected.get(key), within(1e-9));
        }
        assertThat(actual).containsEntry(PrequentialMetrics.EXAMPLES_SINCE_PARENT, 0.0);
    }
}
