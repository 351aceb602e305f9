package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;

import dev.freshet.contracts.RolloutMode;
import org.junit.jupiter.api.Test;

class RolloutPolicyTest {

    @Test
    void bucketsAreStableAndSpreadEvenly() {
        assertThat(RolloutPolicy.bucket("card-17")).isEqualTo(RolloutPolicy.bucket("card-17"));
        long belowTenth = IntStream.range(0, 10_000).filter(i -> RolloutPolicy.bucket("u-" + i) < 0.1).count();
        assertThat(belowTenth).isBetween(900L, 1100L);
    }

    @Test
    void onlyChallengerModeRoutesToTheChallenger() {
        assertThat(new RolloutPolicy(RolloutMode.SHADOW, 1.0).routesToChallenger("u-1")).isFalse();
        assertThat(new RolloutPolicy(RolloutMode.CHALLENGER, 1.0).routesToChallenger("u-1")).isTrue();
        assertThat(new RolloutPolicy(RolloutMode.CHALLENGER, 0.0).routesToChallenger("u-1")).isFalse();
    }
}
