package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

class PsiTest {
    private static double[] normal(Random random, int n, double mean) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = mean + random.nextGaussian();
        }
        return out;
    }

    @Test
    void isNearZeroForSamplesOfOneDistribution() {
        Random random = new Random(1);
        double[] ref = normal(random, 1000, 0);
        assertThat(Psi.psi(Psi.cutPoints(ref), ref, normal(random, 1000, 0))).isLessThan(0.05);
    }

    @Test
    void isLargeForAShiftedDistribution() {
        Random random = new Random(2);
        double[] ref = normal(random, 1000, 0);
        assertThat(Psi.psi(Psi.cutPoints(ref), ref, normal(random, 1000, 1.5))).isGreaterThan(1.0);
    }

    @Test
    void staysFiniteWhenTheCurrentWindowLeavesBinsEmpty() {
        Random random = new Random(3);
        double[] ref = normal(random, 1000, 0);
        double psi = Psi.psi(Psi.cutPoints(ref), ref, normal(random, 1000, 100));
        assertThat(psi).isFinite().isGreaterThan(5.0);
    }

    @Test
    void usesTenQuantileBinsOfTheReference() {
        double[] ref = new double[100];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = i;
        }
        assertThat(Psi.cutPoints(ref)).containsExactly(9, 19, 29, 39, 49, 59, 69, 79, 89);
    }

    @Test
    void skipsOneHotBinaryAndConstantFeatures() {
        assertThat(Psi.whyNotComparable("channel=web", new double[] {0, 1, 0.5})).contains("one-hot");
        assertThat(Psi.whyNotComparable("is_new_device", new double[] {0, 1, 1, 0})).contains("binary");
        assertThat(Psi.whyNotComparable("bias", new double[] {1, 1, 1})).contains("constant");
        assertThat(Psi.whyNotComparable("amount", new double[] {1, 2, 3})).isNull();
    }
}
