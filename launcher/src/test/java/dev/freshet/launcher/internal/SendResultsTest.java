package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

class SendResultsTest {

    @Test
    void countsEachAnswerAndKeepsTheFirstFailure() {
        SendResults results = new SendResults();
        results.callback().onCompletion(null, null);
        results.callback().onCompletion(null, new RecordTooLargeException("too big"));
        results.callback().onCompletion(null, new RecordTooLargeException("second"));
        results.callback();

        assertThat(results.sent()).isEqualTo(4);
        assertThat(results.confirmed()).isEqualTo(1);
        assertThat(results.failed()).isEqualTo(2);
        assertThat(results.describe())
            .isEqualTo("4 sent, 1 confirmed, 2 failed (first: RecordTooLargeException: too big)");
    }
}
