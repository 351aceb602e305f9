package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class LivenessTest {
    @Test
    void keepsTheFirstStopAndTellsEachListenerOnce() {
        Liveness liveness = new Liveness("feature-store");
        List<Liveness.Stopped> heardBefore = new ArrayList<>();
        liveness.onStop(heardBefore::add);
        assertThat(liveness.alive()).isTrue();

        liveness.stopped("view clicks", "RecordTooLargeException: the record is 2000000 bytes");
        liveness.stopped("label join", "stopped after the view");

        assertThat(liveness.alive()).isFalse();
        assertThat(liveness.stopped()).hasValueSatisfying(stop -> {
            assertThat(stop.stage()).isEqualTo("view clicks");
            assertThat(stop.toString()).isEqualTo(
                "feature-store: view clicks stopped: RecordTooLargeException: the record is 2000000 bytes");
        });
        assertThat(heardBefore).hasSize(1);

        List<Liveness.Stopped> heardAfter = new ArrayList<>();
        liveness.onStop(heardAfter::add);
        assertThat(heardAfter).extracting(Liveness.Stopped::stage).containsExactly("view clicks");
    }
}
