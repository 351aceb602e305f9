package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.freshet.contracts.InvalidDefinitionException;
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
            .hasMessageContaining("rollback.margn: unknown field; expected one of [input_shift_guard, margin, "
                + "min_samples, z]; did you mean 'margin'?");
    }

    @Test
    void rejectsAnUnknownDetector() {
        assertThatThrownBy(() -> load("retrain:\n  error_change:\n    detector: cusum\n"))
            .hasMessageContaining("retrain.error_change.detector: 'cusum' is not accepted; expected [page-hinkley, "
                + "adwin, none]");
    }

    @Test
    void rejectsAWrongTypeOrRange() {
        assertThatThrownBy(() -> load("rollback:\n  z: high\n"))
            .hasMessageContaining("rollback.z: 'high' is not a number");
        assertThatThrownBy(() -> load("rollback:\n  margin: 1.5\n"))
            .hasMessageContaining("rollback.margin: 1.5 is not accepted; expected [0.0,...,1.0]");
        assertThatThrownBy(() -> load("rollback:\n  min_samples: 0\n"))
            .hasMessageContaining("rollback.min_samples: 0 is not accepted; expected [1,...]");
        assertThatThrownBy(() -> load("retrain:\n  cooldown: soon\n"))
            .hasMessageContaining("retrain.cooldown: 'soon' is not a duration");
    }

    @Test
    void listsEveryProblemOfTheFileAtOnce() {
        assertThatThrownBy(() -> load("""
                retrain:
                  cooldown: soon
                  drift: {psi_threshold: -1, window_examples: 5}
                  error_change: {detector: adwin, delta: 2, lamda: 5}
                rollback:
                  margin: 1.5
                  input_shift_guard: maybe
                """))
            .isInstanceOfSatisfying(InvalidDefinitionException.class, e -> assertThat(e.problems()).containsExactly(
                "retrain.error_change.lamda: unknown field; expected one of [delta, detector, lambda, min_examples, "
                    + "settle_examples]; did you mean 'lambda'?",
                "retrain.error_change.delta: 2 is not accepted; expected [1.0E-12,...,1.0]",
                "rollback.margin: 1.5 is not accepted; expected [0.0,...,1.0]",
                "rollback.input_shift_guard: 'maybe' is not true or false",
                "retrain.drift.window_examples: 5 is not accepted; expected [10,...]",
                "retrain.drift.psi_threshold: -1 is not accepted; expected [0.0,...]",
                "retrain.cooldown: 'soon' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, "
                    + "1h, 1d"))
            .hasMessageStartingWith("Policy file " + dir.resolve("policy.yaml") + " (monitor.policy.file) is "
                + "invalid: 7 problems: ");
    }

    @Test
    void acceptsDaysPlainMillisecondsAndWhatTheKeysAccept() throws Exception {
        assertThat(load("retrain:\n  cooldown: 1d\n").retrainCooldownMs()).isEqualTo(86_400_000L);
        assertThat(load("retrain:\n  cooldown: 1500\n").retrainCooldownMs()).isEqualTo(1500L);
        // monitor.rollback.z takes any z from 0; the policy file takes the same values as the key.
        assertThat(load("rollback:\n  z: 2000000\n").rollbackZ()).isEqualTo(2_000_000.0);
        assertThat(load("retrain:\n  error_change:\n    detector: ADWIN\n").change().detector()).isEqualTo("adwin");
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
