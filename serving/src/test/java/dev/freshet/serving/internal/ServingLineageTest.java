package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineageTest {

    @Test
    void newestServableIsTheNewestVersion() {
        ServingLineage lineage = new ServingLineage();
        lineage.add(1, 0, 1_000L);
        lineage.add(2, 1, 2_000L);

        assertThat(lineage.newestServable()).hasValue(2);
    }

    @Test
    void rollbackBarsTheTargetAndEveryDescendant() {
        ServingLineage lineage = new ServingLineage();
        lineage.add(1, 0, 1_000L);
        lineage.add(2, 1, 2_000L);
        lineage.add(3, 2, 3_000L);
        lineage.add(4, 1, 4_000L);

        lineage.bar(2);

        assertThat(lineage.isBarred(2)).isTrue();
        assertThat(lineage.isBarred(3)).isTrue();
        assertThat(lineage.isBarred(4)).isFalse();
        assertThat(lineage.newestServable()).hasValue(4);
    }

    @Test
    void descendantsPublishedAfterTheRollbackAreBarredToo() {
        ServingLineage lineage = new ServingLineage();
        lineage.bar(2); // the command may be read before the versions it names
        lineage.add(1, 0, 1_000L);
        lineage.add(2, 1, 2_000L);
        lineage.add(3, 2, 3_000L);

        assertThat(lineage.newestServable()).hasValue(1);
    }

    @Test
    void unloadableVersionsAreSkipped() {
        ServingLineage lineage = new ServingLineage();
        lineage.add(1, 0, 1_000L);
        lineage.add(2, 1, 2_000L);

        lineage.markUnloadable(2);

        assertThat(lineage.newestServable()).hasValue(1);
    }

    @Test
    void aParentCycleDoesNotHang() {
        ServingLineage lineage = new ServingLineage();
        lineage.add(1, 2, 1_000L);
        lineage.add(2, 1, 2_000L);

        assertThat(lineage.isBarred(2)).isFalse();
    }

    @Test
    void nothingServableWhenEveryVersionIsBarred() {
        ServingLineage lineage = new ServingLineage();
        lineage.add(1, 0, 1_000L);
        lineage.bar(1);

        assertThat(lineage.newestServable()).isEmpty();
        assertThat(lineage.newest()).isEqualTo(1);
    }
}
