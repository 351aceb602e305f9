package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RolloutTest {

    private static ServingLineage chain(int versions) {
        ServingLineage lineage = new ServingLineage();
        for (long v = 1; v <= versions; v++) {
            lineage.add(v, v - 1, v * 1_000L);
        }
        return lineage;
    }

    @Test
    void withoutARolloutTheNewestVersionIsChampionAndThereIsNoChallenger() {
        assertThat(Rollout.choose(chain(3), Rollout.Mode.NONE, 0, 0)).isEqualTo(new Rollout.Choice(3, 0));
    }

    @Test
    void aPinFreezesTheChampionAndSuspendsTheChallenger() {
        assertThat(Rollout.choose(chain(3), Rollout.Mode.NONE, 2, 0)).isEqualTo(new Rollout.Choice(2, 0));
        assertThat(Rollout.choose(chain(3), Rollout.Mode.CHALLENGER, 1, 0)).isEqualTo(new Rollout.Choice(1, 0));
    }

    @Test
    void aPinOnABarredVersionNoLongerApplies() {
        ServingLineage lineage = chain(3);
        lineage.bar(2);

        assertThat(Rollout.choose(lineage, Rollout.Mode.NONE, 2, 0)).isEqualTo(new Rollout.Choice(1, 0));
    }

    @Test
    void inChallengerModeTheChampionChangesOnlyByPromotionAndTheNewestVersionChallenges() {
        assertThat(Rollout.choose(chain(3), Rollout.Mode.CHALLENGER, 0, 0)).isEqualTo(new Rollout.Choice(1, 3));
        assertThat(Rollout.choose(chain(3), Rollout.Mode.SHADOW, 0, 2)).isEqualTo(new Rollout.Choice(2, 3));
        assertThat(Rollout.choose(chain(3), Rollout.Mode.CHALLENGER, 0, 3)).isEqualTo(new Rollout.Choice(3, 0));
    }

    @Test
    void aBarredPromotedChampionFallsBackToTheNewestServableVersionBeforeIt() {
        ServingLineage lineage = chain(4);
        lineage.add(5, 1, 5_000L);
        lineage.bar(3);

        assertThat(Rollout.choose(lineage, Rollout.Mode.CHALLENGER, 0, 4)).isEqualTo(new Rollout.Choice(2, 5));
    }

    @Test
    void nothingIsChosenBeforeAnyVersionIsServable() {
        assertThat(Rollout.choose(new ServingLineage(), Rollout.Mode.CHALLENGER, 0, 0)).isEqualTo(Rollout.Choice.NOTHING);
    }
}
