package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.freshet.contracts.RolloutMode;
import dev.freshet.proto.registry.v1.Command;
import org.junit.jupiter.api.Test;

/** Serving's view of a model: the shared rule over what was read, minus the versions this instance cannot load. */
class ServingLineageTest {

    private static ServingLineage lineage(long... parents) {
        ServingLineage lineage = new ServingLineage("default");
        for (int i = 0; i < parents.length; i++) {
            lineage.add(i + 1, parents[i], (i + 1) * 1_000L);
        }
        return lineage;
    }

    private static void rollback(ServingLineage lineage, long target) {
        lineage.apply("default", Command.newBuilder().setType(Command.Type.ROLLBACK).setModel("default")
            .setTargetVersion(target).setReason("test").build());
    }

    private static long champion(ServingLineage lineage) {
        return lineage.decide(RolloutMode.NONE).champion();
    }

    @Test
    void newestServableIsTheNewestVersion() {
        assertThat(champion(lineage(0, 1))).isEqualTo(2);
    }

    @Test
    void rollbackBarsTheTargetAndEveryDescendant() {
        ServingLineage lineage = lineage(0, 1, 2, 1);

        rollback(lineage, 2);

        assertThat(lineage.isBarred(2)).isTrue();
        assertThat(lineage.isBarred(3)).isTrue();
        assertThat(lineage.isBarred(4)).isFalse();
        assertThat(champion(lineage)).isEqualTo(4);
    }

    @Test
    void descendantsPublishedAfterTheRollbackAreBarredToo() {
        ServingLineage lineage = new ServingLineage("default");
        rollback(lineage, 2); // the command may be read before the versions it names
        lineage.add(1, 0, 1_000L);
        lineage.add(2, 1, 2_000L);
        lineage.add(3, 2, 3_000L);

        assertThat(champion(lineage)).isEqualTo(1);
    }

    @Test
    void unloadableVersionsAreSkipped() {
        ServingLineage lineage = lineage(0, 1);

        lineage.markUnloadable(2);

        assertThat(champion(lineage)).isEqualTo(1);
        assertThat(lineage.servable(2)).isFalse();
        assertThat(lineage.championIfBarred(1, RolloutMode.NONE)).as("nothing left to serve").isZero();
    }

    @Test
    void aCopyKeepsTheUnloadableVersionsAndIsNotChangedByTheOriginal() {
        ServingLineage lineage = lineage(0, 1);
        lineage.markUnloadable(2);
        ServingLineage copy = lineage.copy();

        lineage.add(3, 1, 3_000L);

        assertThat(champion(copy)).isEqualTo(1);
        assertThat(copy.newest()).isEqualTo(2);
    }

    @Test
    void aParentCycleDoesNotHang() {
        ServingLineage lineage = new ServingLineage("default");
        lineage.add(1, 2, 1_000L);
        lineage.add(2, 1, 2_000L);

        assertThat(lineage.isBarred(2)).isFalse();
    }

    @Test
    void nothingServableWhenEveryVersionIsBarred() {
        ServingLineage lineage = lineage(0);
        rollback(lineage, 1);

        assertThat(champion(lineage)).isZero();
        assertThat(lineage.newest()).isEqualTo(1);
    }
}
