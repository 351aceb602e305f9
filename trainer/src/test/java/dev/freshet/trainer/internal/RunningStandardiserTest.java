package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RunningStandardiserTest {
    private static final double[][] NO_WEIGHTS = {new double[4]};
    private static final double[] NO_BIAS = new double[1];

    /** A standardiser over {@code features} features registered before any example. */
    private static RunningStandardiser withFeatures(int features) {
        RunningStandardiser s = new RunningStandardiser(4);
        for (int j = 0; j < features; j++) {
            s.addFeature();
        }
        return s;
    }

    private static void observe(RunningStandardiser s, int[] ids, double[] values) {
        s.observe(ids, values, ids.length, NO_WEIGHTS, NO_BIAS);
    }

    private static double standardised(RunningStandardiser s, int id, double x) {
        double[] out = new double[1];
        s.standardise(new int[] {id}, new double[] {x}, out, 1);
        return out[0];
    }

    @Test
    void aFeaturePresentInEveryExampleIsCentredAndScaledByItsPopulationStatistics() {
        RunningStandardiser s = withFeatures(1);
        double[] xs = {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
        for (double x : xs) {
            observe(s, new int[] {0}, new double[] {x});
        }

        assertThat(s.isDense(0)).isTrue();
        assertThat(s.centre(0)).isEqualTo(5.0);
        assertThat(s.scale(0)).isCloseTo(2.0, within(1e-12));
        assertThat(standardised(s, 0, 9.0)).isCloseTo(2.0, within(1e-12));
        assertThat(s.min(0)).isEqualTo(2.0);
        assertThat(s.max(0)).isEqualTo(9.0);
        assertThat(s.count(0)).isEqualTo(xs.length);
    }

    @Test
    void beforeAnyExampleAndWhileConstantAFeatureIsNotScaled() {
        RunningStandardiser s = withFeatures(1);
        assertThat(standardised(s, 0, 3.5)).isEqualTo(3.5);

        observe(s, new int[] {0}, new double[] {3.0});
        observe(s, new int[] {0}, new double[] {3.0});

        assertThat(s.scale(0)).isEqualTo(1.0);
        assertThat(standardised(s, 0, 4.0)).isEqualTo(1.0);
    }

    @Test
    void theFirstAbsenceMakesADenseFeatureSparseAndFoldsItsCentringIntoTheBias() {
        RunningStandardiser s = withFeatures(2);
        observe(s, new int[] {0, 1}, new double[] {1.0, 10.0});
        observe(s, new int[] {0, 1}, new double[] {3.0, 10.0});
        double mean = s.centre(0);
        double std = s.scale(0);
        double[][] weights = {{0.5, 0.0, 0.0, 0.0}, {-0.5, 0.0, 0.0, 0.0}};
        double[] bias = {0.25, -0.25};

        s.observe(new int[] {1}, new double[] {10.0}, 1, weights, bias);

        assertThat(s.isDense(0)).isFalse();
        assertThat(s.denseFeatures()).isEqualTo(1);
        assertThat(s.centre(0)).isZero();
        assertThat(bias[0]).isEqualTo(0.25 - 0.5 * mean / std);
        assertThat(bias[1]).isEqualTo(-0.25 + 0.5 * mean / std);
        // Sparse: scaled by the root mean square over all three examples, absent counting as 0.
        assertThat(s.scale(0)).isCloseTo(Math.sqrt((1.0 + 9.0) / 3), within(1e-12));
        assertThat(standardised(s, 0, 2.0)).isCloseTo(2.0 / Math.sqrt(10.0 / 3), within(1e-12));
    }

    @Test
    void aFeatureThatJoinsMidStreamIsSparseFromTheStart() {
        RunningStandardiser s = withFeatures(1);
        observe(s, new int[] {0}, new double[] {1.0});
        int late = s.addFeature();
        observe(s, new int[] {0, late}, new double[] {2.0, 4.0});

        assertThat(late).isEqualTo(1);
        assertThat(s.isDense(late)).isFalse();
        assertThat(s.centre(late)).isZero();
        assertThat(s.scale(late)).isCloseTo(Math.sqrt(16.0 / 2), within(1e-12));
        assertThat(s.denseFeatures()).isEqualTo(1);
    }

    @Test
    void statisticsSetFromACheckpointDeriveWhichFeaturesAreDense() {
        RunningStandardiser s = withFeatures(3);
        s.reset(10);
        s.set(0, 10, 1.0, 4.0, 0.0, 2.0);
        s.set(1, 4, 1.0, 0.0, 1.0, 1.0);
        s.recountDense();

        assertThat(s.examples()).isEqualTo(10);
        assertThat(s.denseFeatures()).isEqualTo(1);
        assertThat(s.isDense(0)).isTrue();
        assertThat(s.isDense(2)).as("set to nothing: absent from all ten").isFalse();
        assertThat(s.count(2)).isZero();
        assertThat(s.scale(2)).isEqualTo(1.0);
        assertThat(s.min(2)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void aCopyIsIndependentAndGrowingKeepsTheStatistics() {
        RunningStandardiser s = withFeatures(2);
        observe(s, new int[] {0, 1}, new double[] {1.0, 2.0});
        RunningStandardiser copy = s.copy();

        observe(s, new int[] {0}, new double[] {5.0});
        s.grow(64);
        for (int j = 2; j < 40; j++) {
            s.addFeature();
        }

        assertThat(copy.examples()).isEqualTo(1);
        assertThat(copy.features()).isEqualTo(2);
        assertThat(copy.isDense(1)).isTrue();
        assertThat(s.features()).isEqualTo(40);
        assertThat(s.mean(0)).isEqualTo(3.0);
        assertThat(s.isDense(1)).isFalse();
    }
}
