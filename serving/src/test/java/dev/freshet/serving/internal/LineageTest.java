package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineageTest {

    @Test
    void newestServableIsTheNewestVersion() {
        Lineage lineage = new Lineage();
        lineage.add(1, 0);
        lineage.add(2, 1);

        assertThat(lineage.newestServable()).hasValue(2);
    }

    @Test
    void rollbackBarsTheTargetAndEveryDescendant() {
        Lineage lineage = new Lineage();
        lineage.add(1, 0);
        lineage.add(2, 1);
        lineage.add(3, 2);
        lineage.add(4, 1);

        lineage.bar(2);

        assertThat(lineage.isBarred(2)).isTrue();
        assertThat(lineage.isBarred(3)).isTrue();
        assertThat(lineage.isBarred(4)).isFalse();
        assertThat(lineage.newestServable()).hasValue(4);
    }

    @Test
    void descendantsPublishedAfterTheRollbackAreBarredToo() {
        Lineage lineage = new Lineage();
        lineage.bar(2); // the command may be read before the versions it names
        lineage.add(1, 0);
        lineage.add(2, 1);
        lineage.add(3, 2);

        assertThat(lineage.newestServable()).hasValue(1);
    }

    @Test
    void unloadableVersionsAreSkipped() {
        Lineage lineage = new Lineage();
        lineage.add(1, 0);
        lineage.add(2, 1);

        lineage.markUnloadable(2);

        assertThat(lineage.newestServable()).hasValue(1);
    }

    @Test
    void aParentCycleDoesNotHang() {
        Lineage lineage = new Lineage();
        lineage.add(1, 2);
        lineage.add(2, 1);

        assertThat(lineage.isBarred(2)).isFalse();
    }

    @Test
    void nothingServableWhenEveryVersionIsBarred() {
        Lineage lineage = new Lineage();
        lineage.add(1, 0);
        lineage.bar(1);

        assertThat(lineage.newestServable()).isEmpty();
        assertThat(lineage.newest()).isEqualTo(1);
    }
}
