package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import dev.freshet.monitor.MonitorReport.Freshness;
import org.junit.jupiter.api.Test;

class FreshnessTrackerTest {
    @Test
    void measuresFromLabelArrivalToFirstServingOfTheLowestCoveringVersion() {
        FreshnessTracker tracker = new FreshnessTracker();
        tracker.addExample(0, 0, 1000);
        tracker.addExample(0, 1, 1100);
        tracker.addExample(0, 2, 1200);
        tracker.addExample(0, 3, 1300);
        tracker.addExample(0, 4, 1400);
        tracker.addVersion(1, Map.of(0, 2L));
        tracker.addVersion(2, Map.of(0, 4L));
        tracker.addVersion(3, Map.of(0, 5L));
        tracker.served(2, 2600);
        tracker.served(2, 2500);
        tracker.served(1, 1700);
        tracker.served(1, 1600);
        tracker.resolve();

        // v1 covers offsets 0-1 (first served 1600), v2 offsets 2-3 (2500); v3 covers 4 but never served.
        assertThat(tracker.snapshot()).isEqualTo(new Freshness(4, 1, 600L, 1300L, 1300L));
    }

    @Test
    void passesOverACoveringVersionThatNeverServed() {
        FreshnessTracker tracker = new FreshnessTracker();
        tracker.addExample(0, 0, 1000);
        tracker.addVersion(1, Map.of(0, 1L));
        tracker.addVersion(2, Map.of(0, 1L));
        tracker.served(2, 3000);
        tracker.resolve();

        assertThat(tracker.snapshot()).isEqualTo(new Freshness(1, 0, 2000L, 2000L, 2000L));
    }

    @Test
    void waitsWhileNoCoveringVersionHasServed() {
        FreshnessTracker tracker = new FreshnessTracker();
        tracker.addExample(1, 7, 1000);
        tracker.addVersion(1, Map.of(1, 7L));
        tracker.served(1, 1500);
        tracker.resolve();

        assertThat(tracker.snapshot()).isEqualTo(new Freshness(0, 1, null, null, null));
    }
}
