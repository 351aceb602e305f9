package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class LineageTest {
    /** 1 <- 2 <- 3 <- 4, and 5 restarts from 2 (as after a rollback of 3). */
    private static Lineage chain() {
        Lineage lineage = new Lineage();
        lineage.add(1, 0, 1_000);
        lineage.add(2, 1, 2_000);
        lineage.add(3, 2, 3_000);
        lineage.add(4, 3, 4_000);
        lineage.add(5, 2, 5_000);
        return lineage;
    }

    @Test
    void rollbackBarsTheTargetAndEveryDescendantButNotItsSiblings() {
        Lineage lineage = chain();
        lineage.bar(3);

        assertThat(lineage.barredVersions()).containsExactly(3L, 4L);
        assertThat(lineage.newest(v -> true)).hasValue(5);
        assertThat(lineage.isRollbackTarget(4)).isFalse();
    }

    @Test
    void aDescendantPublishedAfterTheRollbackIsBarredToo() {
        Lineage lineage = chain();
        lineage.bar(3);
        lineage.add(6, 4, 6_000);

        assertThat(lineage.isBarred(6)).isTrue();
        assertThat(lineage.newest(v -> true)).hasValue(5);
    }

    @Test
    void theOrderOfRollbackAndPublicationDoesNotMatter() {
        Lineage barredFirst = new Lineage();
        barredFirst.bar(3);
        chain().versions().forEach(v -> barredFirst.add(v, chain().parentOf(v).getAsLong(), v * 1_000));

        Lineage barredLast = chain();
        barredLast.bar(3);

        assertThat(barredFirst.barredVersions()).isEqualTo(barredLast.barredVersions());
    }

    @Test
    void theUsablePredicateSkipsVersionsTheCallerCannotUse() {
        Lineage lineage = chain();

        assertThat(lineage.newest(v -> v != 5)).hasValue(4);
        assertThat(lineage.newestAtMost(3, v -> true)).hasValue(3);
        assertThat(lineage.oldest(v -> v > 1)).hasValue(2);
    }

    @Test
    void newestUnbarredAncestorClimbsPastBarredVersions() {
        Lineage lineage = chain();
        lineage.bar(3);

        assertThat(lineage.newestUnbarredAncestor(4)).hasValue(2);
        assertThat(lineage.newestUnbarredAncestor(5)).hasValue(5);
        lineage.bar(1);
        assertThat(lineage.newestUnbarredAncestor(4)).isEmpty();
    }

    @Test
    void aSecondClaimOnAVersionNumberIsReportedAndReplacesTheFirst() {
        Lineage lineage = chain();

        assertThat(lineage.add(4, 3, 4_000)).isEqualTo(Lineage.Claim.REPEATED);
        assertThat(lineage.add(4, 2, 4_100)).isEqualTo(Lineage.Claim.CONFLICTING);
        assertThat(lineage.parentOf(4)).hasValue(2);
        assertThat(lineage.add(7, 5, 7_000)).isEqualTo(Lineage.Claim.NEW);
    }

    @Test
    void aParentCycleInMalformedRecordsEndsTheWalk() {
        Lineage lineage = new Lineage();
        lineage.add(2, 3, 1);
        lineage.add(3, 2, 2);

        assertThat(lineage.isBarred(3)).isFalse();
        assertThat(lineage.descendsFrom(3, 1)).isFalse();
    }

    @Test
    void aRemovedVersionIsNoLongerOffered() {
        Lineage lineage = chain();
        lineage.remove(5);

        assertThat(lineage.newest(v -> true)).hasValue(4);
        assertThat(lineage.highest()).isEqualTo(4);
        assertThat(lineage.parentOf(5)).isEqualTo(OptionalLong.empty());
    }

    @Test
    void aCopyDoesNotSeeLaterChanges() {
        Lineage lineage = chain();
        Lineage copy = lineage.copy();
        lineage.bar(1);

        assertThat(copy.barredVersions()).isEmpty();
    }
}
