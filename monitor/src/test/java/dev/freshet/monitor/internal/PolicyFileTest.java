package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.freshet.monitor.MonitorConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFileTest {
    @TempDir
    Path dir;

    private MonitorSettings load(String yaml) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, yaml);
        return MonitorSettings.from(new MonitorConfig(Map.of(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
            MonitorConfig.POLICY_FILE_CONFIG, file.toString())), true);
    }

    @Test
    void whatTheFileSetsWinsAndTheRestKeepsTheKeys() throws Exception {
        MonitorSettings s = load("""
            retrain:
              cooldown: 2m
              accuracy_below: 0.6
              drift:
                psi_threshold: 0.4
              error_change:
                detector: adwin
                settle_examples: 200
            rollback:
              margin: 0.05
              input_shift_guard: false
            """);

        assertThat(s.retrainCooldownMs()).isEqualTo(120_000);
        assertThat(s.driftPsiThreshold()).isEqualTo(0.4);
        assertThat(s.driftWindowExamples()).isEqualTo(MonitorConfig.DRIFT_WINDOW_EXAMPLES_DEFAULT);
        assertThat(s.change().detector()).isEqualTo("adwin");
        assertThat(s.change().delta()).isEqualTo(0.002);
        assertThat(s.change().settleExamples()).isEqualTo(200);
        assertThat(s.change().accuracyBelow()).isEqualTo(0.6);
        assertThat(s.rollbackMargin()).isEqualTo(0.05);
        assertThat(s.rollbackZ()).isEqualTo(MonitorConfig.ROLLBACK_Z_DEFAULT);
        assertThat(s.rollbackInputShiftGuard()).isFalse();
    }

    @Test
    void anEmptyFileChangesNothing() throws Exception {
        assertThat(load("").change().detector()).isEqualTo(MonitorConfig.CHANGE_DETECTOR_DEFAULT);
    }

    @Test
    void namesAnUnknownKeyWithItsPathAndTheKnownOnes() {
        assertThatThrownBy(() -> load("rollback:\n  margn: 0.1\n"))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(MonitorConfig.POLICY_FILE_CONFIG)
            .hasMessageContaining("rollback.margn: unknown key; expected one of [input_shift_guard, margin, min_samples, z]");
    }

    @Test
    void rejectsAnUnknownDetector() {
        assertThatThrownBy(() -> load("retrain:\n  error_change:\n    detector: cusum\n"))
            .hasMessageContaining("retrain.error_change.detector: 'cusum' is not one of page-hinkley, adwin, none");
    }

    @Test
    void rejectsAWrongTypeOrRange() {
        assertThatThrownBy(() -> load("rollback:\n  z: high\n"))
            .hasMessageContaining("rollback.z: expected a number, got 'high' (string)");
        assertThatThrownBy(() -> load("rollback:\n  margin: 1.5\n"))
            .hasMessageContaining("rollback.margin: 1.5 is out of range; accepted: 0.0 to 1.0");
        assertThatThrownBy(() -> load("rollback:\n  min_samples: 0\n"))
            .hasMessageContaining("rollback.min_samples: 0 is too small; accepted: at least 1");
        assertThatThrownBy(() -> load("retrain:\n  cooldown: soon\n"))
            .hasMessageContaining("retrain.cooldown: 'soon' is not a duration");
    }

    @Test
    void reportsBrokenYamlWithItsLine() {
        assertThatThrownBy(() -> load("retrain:\n  cooldown: [1\n"))
            .hasMessageContaining("not valid YAML at line");
    }

    @Test
    void reportsAMissingFile() {
        assertThatThrownBy(() -> MonitorSettings.from(new MonitorConfig(Map.of(
            MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
            MonitorConfig.POLICY_FILE_CONFIG, dir.resolve("nope.yaml").toString())), true))
            .hasMessageContaining("policy file the file does not exist");
    }
}
