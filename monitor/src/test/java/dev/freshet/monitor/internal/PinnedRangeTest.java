package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;

import dev.freshet.monitor.MonitorConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PinnedRangeTest {

    @Test
    void parsesTwoInstants() {
        assertThat(PinnedRange.parse("k", "2026-11-02T00:00:00Z/2026-11-09T00:00:00Z"))
            .contains(new PinnedRange(Instant.parse("2026-11-02T00:00:00Z").toEpochMilli(),
                Instant.parse("2026-11-09T00:00:00Z").toEpochMilli()));
        assertThat(PinnedRange.parse("k", "")).isEmpty();
    }

    @Test
    void refusesAtStartupAValueThatIsNotARangeNamingTheKey() {
        assertThatThrownBy(() -> new MonitorConfig(Map.of("bootstrap.servers", "localhost:9092",
                MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG, "last week")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG)
            .hasMessageContaining("expected FROM/TO as ISO-8601 instants");
        assertThatThrownBy(() -> PinnedRange.parse("k", "2026-11-09T00:00:00Z/2026-11-02T00:00:00Z"))
            .hasMessageContaining("FROM must be before TO");
        assertThatThrownBy(() -> PinnedRange.parse("k", "2026-11-02/2026-11-09T00:00:00Z"))
            .hasMessageContaining("'2026-11-02' is not an ISO-8601 instant");
    }

    @Test
    void aPinnedReferenceSurvivesARebuild() {
        DriftDetector detector = new DriftDetector(50, 50, 50, 0.25);
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 200; i++) {
            detector.addPinned(Map.of("amount", random.nextGaussian()), Double.NaN, "0", i);
        }
        detector.freezePinned();
        detector.rebuildReference();
        DriftDetector.Check check = null;
        for (int i = 0; i < 50; i++) {
            check = detector.add(Map.of("amount", 4 + random.nextGaussian()), i, 1000 + i);
        }
        assertThat(check).isNotNull();
        assertThat(check.reference().examples()).isEqualTo(200);
        assertThat(check.drifted()).containsExactly("amount");
    }
}
