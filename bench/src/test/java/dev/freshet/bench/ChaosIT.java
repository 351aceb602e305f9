package dev.freshet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * The chaos suite's short variant: few events, one {@code kill -9} of each component and of the broker, no
 * hazards; asserts that nothing was lost or duplicated end to end. {@code bench/run ChaosBench} is the long one.
 *
 * <p>Part of {@code mvn verify}; skip it with {@code -Dfreshet.chaos.it=false}. Five JVMs start and each victim
 * must run again before the next kill, so its duration follows the machine's load: 115 s on the idle 2-core build
 * machine, 120 s at a load average near 30, 383 s near 45. Serving runs with the acked prediction log, the mode
 * whose guarantee it checks; the default async mode loses the last answers before a kill (3 of 815 in one run).
 */
@DisabledIfSystemProperty(named = "freshet.chaos.it", matches = "false")
class ChaosIT {

    @Test
    void aKillOfEachProcessLosesAndDuplicatesNothing() throws Exception {
        ChaosBench.Options options = new ChaosBench.Options(800, 1, 7, 20, 20, Duration.ZERO, false, "acked");
        BenchReport report = new BenchReport("ChaosIT", new String[0]);

        ChaosBench.Result result = ChaosBench.run(options, report);

        assertThat(result.settled()).as("the loop settled after the stream").isTrue();
        assertThat(result.selfExits()).as("components that exited by themselves").isEmpty();
        assertThat(result.validEvents()).isPositive();
        assertThat(result.loggedLabelled()).as("logged predictions with a label").isPositive();
        assertThat(result.answered()).as("answered predictions").isPositive();
        assertThat(result.versions()).as("model versions").isPositive();
        assertThat(result.lineageChecked()).as("versions whose lineage was checked").isPositive();
        assertThat(result.lostVectors()).as("valid events without a feature vector").isZero();
        assertThat(result.duplicatedVectors()).as("valid events with more than one feature vector").isZero();
        assertThat(result.answeredNotLogged()).as("answered predictions missing from the log").isZero();
        assertThat(result.duplicatedLogEntries()).as("predictions logged twice").isZero();
        assertThat(result.lostExamples()).as("logged, labelled predictions without a training example").isZero();
        assertThat(result.duplicatedExamples()).as("predictions with more than one training example").isZero();
        assertThat(result.duplicatedVersions()).as("version numbers published twice").isZero();
        assertThat(result.missingParents()).as("versions whose parent is missing").isZero();
        assertThat(result.lineageMismatches()).as("versions whose examples learned differ from those committed")
            .isZero();
    }
}
