package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class DriftDetectorTest {
    private final Random random = new Random(42);
    private long seq;

    private List<DriftDetector.Check> feed(DriftDetector detector, int n, double amountScale) {
        List<DriftDetector.Check> checks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            seq++;
            DriftDetector.Check c = detector.add(TestRecords.features(random, amountScale), seq, 1000 + seq);
            if (c != null) {
                checks.add(c);
            }
        }
        return checks;
    }

    @Test
    void flagsTheFeatureWhoseDistributionShifted() {
        DriftDetector detector = new DriftDetector(1000, 1000, 250, 0.25);
        assertThat(feed(detector, 2000, 1.0)).allMatch(c -> c.drifted().isEmpty());

        List<DriftDetector.Check> checks = feed(detector, 1000, 4.0);

        DriftDetector.Check last = checks.get(checks.size() - 1);
        assertThat(last.drifted()).containsExactly("amount");
        assertThat(last.reference().firstExample()).isEqualTo(1);
        assertThat(last.reference().lastExample()).isEqualTo(1000);
        assertThat(last.current().firstExample()).isEqualTo(2001);
        assertThat(last.current().lastExample()).isEqualTo(3000);
        assertThat(last.current().fromPredictedAtMs()).isEqualTo(3001);
    }

    @Test
    void raisesNoAlarmOnAStationaryStream() {
        DriftDetector detector = new DriftDetector(1000, 1000, 250, 0.25);

        List<DriftDetector.Check> checks = feed(detector, 20_000, 1.0);

        assertThat(checks).hasSize(73);
        assertThat(checks).allSatisfy(c -> assertThat(c.drifted()).isEmpty());
        assertThat(checks).allSatisfy(c -> assertThat(c.psiByFeature().values()).allMatch(psi -> psi < 0.1));
    }

    @Test
    void comparesOnlyNumericFeaturesAndSaysWhyOthersAreSkipped() {
        DriftDetector detector = new DriftDetector(100, 100, 10, 0.25);

        feed(detector, 100, 1.0);

        assertThat(detector.features()).containsExactly("amount", "velocity");
        assertThat(detector.skipped()).containsOnlyKeys("channel=app", "channel=web", "is_new_device");
        assertThat(detector.skipped().get("is_new_device")).contains("binary");
    }

    @Test
    void waitsForAFullWindowAfterTheReferenceBeforeComparing() {
        DriftDetector detector = new DriftDetector(100, 100, 10, 0.25);

        assertThat(feed(detector, 199, 1.0)).isEmpty();
        assertThat(feed(detector, 1, 1.0)).hasSize(1);
    }
}
