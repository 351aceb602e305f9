package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import dev.freshet.contracts.ServingRule.Basis;
import dev.freshet.contracts.ServingRule.Decision;
import dev.freshet.proto.registry.v1.Command;
import org.junit.jupiter.api.Test;

/** The serving rule as decisions over records, without I/O. */
class ServingRuleTest {
    private static final String MODEL = "default";

    /** v1 <- v2 <- ... <- vN. */
    private static ServingRule chain(int versions) {
        ServingRule rule = new ServingRule(MODEL);
        for (long v = 1; v <= versions; v++) {
            rule.addVersion(v, v - 1, v * 1_000L);
        }
        return rule;
    }

    private static Command command(Command.Type type, long target, String issuedBy, String reason) {
        return Command.newBuilder().setType(type).setModel(MODEL).setTargetVersion(target).setIssuedBy(issuedBy)
            .setReason(reason).build();
    }

    private static Command command(Command.Type type, long target) {
        return command(type, target, "ops", "test");
    }

    private static void apply(ServingRule rule, Command... commands) {
        for (Command command : commands) {
            rule.apply(MODEL, command);
        }
    }

    private static long[] served(ServingRule rule, RolloutMode mode) {
        Decision decision = rule.decide(mode, v -> true);
        return new long[] {decision.champion(), decision.challenger()};
    }

    @Test
    void withoutARolloutTheNewestVersionIsChampionAndThereIsNoChallenger() {
        Decision decision = chain(3).decide(RolloutMode.NONE, v -> true);

        assertThat(served(chain(3), RolloutMode.NONE)).containsExactly(3, 0);
        assertThat(decision.basis()).isEqualTo(Basis.NEWEST);
        assertThat(decision.explanation()).isEqualTo("the newest not barred");
    }

    @Test
    void aPinFreezesTheChampionAndSuspendsTheChallenger() {
        ServingRule none = chain(3);
        apply(none, command(Command.Type.PIN, 2));
        ServingRule challenger = chain(3);
        apply(challenger, command(Command.Type.PIN, 1));

        assertThat(served(none, RolloutMode.NONE)).containsExactly(2, 0);
        assertThat(served(challenger, RolloutMode.CHALLENGER)).containsExactly(1, 0);
        assertThat(challenger.decide(RolloutMode.CHALLENGER, v -> true).basis()).isEqualTo(Basis.PINNED);
    }

    @Test
    void aPinOfABarredVersionDoesNotApplyButStaysOnRecordUntilUnpinned() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.ROLLBACK, 2), command(Command.Type.PIN, 2));

        Decision decision = rule.decide(RolloutMode.NONE, v -> true);

        assertThat(served(rule, RolloutMode.NONE)).containsExactly(1, 0);
        assertThat(decision.basis()).isEqualTo(Basis.NEWEST);
        assertThat(decision.pinned()).isEqualTo(2);
    }

    @Test
    void aPinOfAVersionBarredLaterStopsApplyingWhenTheRollbackIsRead() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PIN, 2));
        assertThat(served(rule, RolloutMode.NONE)).containsExactly(2, 0);

        apply(rule, command(Command.Type.ROLLBACK, 2));

        assertThat(served(rule, RolloutMode.NONE)).containsExactly(1, 0);
    }

    @Test
    void unpinReturnsToTheRolloutAndIsTheLastChange() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PIN, 1, "alice", "investigating drift"));
        assertThat(rule.decide(RolloutMode.NONE, v -> true).lastChange())
            .isEqualTo("PIN v1 by alice: investigating drift");

        apply(rule, command(Command.Type.UNPIN, 0, "bob", "v3 fixed it"));

        Decision decision = rule.decide(RolloutMode.NONE, v -> true);
        assertThat(served(rule, RolloutMode.NONE)).containsExactly(3, 0);
        assertThat(decision.pinned()).isZero();
        assertThat(decision.lastChange()).isEqualTo("UNPIN by bob: v3 fixed it");
    }

    @Test
    void inChallengerModeTheChampionChangesOnlyByPromotionAndTheNewestVersionChallenges() {
        ServingRule promotedTwo = chain(3);
        apply(promotedTwo, command(Command.Type.PROMOTE, 2));
        ServingRule promotedThree = chain(3);
        apply(promotedThree, command(Command.Type.PROMOTE, 3));

        assertThat(served(chain(3), RolloutMode.CHALLENGER)).containsExactly(1, 3);
        assertThat(chain(3).decide(RolloutMode.CHALLENGER, v -> true).basis()).isEqualTo(Basis.OLDEST);
        assertThat(served(promotedTwo, RolloutMode.SHADOW)).containsExactly(2, 3);
        assertThat(promotedTwo.decide(RolloutMode.SHADOW, v -> true).basis()).isEqualTo(Basis.PROMOTED);
        assertThat(served(promotedThree, RolloutMode.CHALLENGER)).containsExactly(3, 0);
    }

    @Test
    void aVersionNewerThanThePromotedChampionChallengesIt() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PROMOTE, 3));

        rule.addVersion(4, 3, 4_000L);

        assertThat(served(rule, RolloutMode.CHALLENGER)).containsExactly(3, 4);
        assertThat(served(rule, RolloutMode.NONE)).as("mode none ignores the promotion").containsExactly(4, 0);
    }

    @Test
    void aPromotionEndsAPin() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PIN, 1), command(Command.Type.PROMOTE, 2, "carol", "v2 beat v1"));

        Decision decision = rule.decide(RolloutMode.CHALLENGER, v -> true);

        assertThat(served(rule, RolloutMode.CHALLENGER)).containsExactly(2, 3);
        assertThat(decision.pinned()).isZero();
        assertThat(decision.promoted()).isEqualTo(2);
        assertThat(decision.lastChange()).isEqualTo("PROMOTE v2 by carol: v2 beat v1");
    }

    @Test
    void aRollbackOfThePromotedChampionFallsBackToTheNewestServableVersionBeforeIt() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PROMOTE, 2));
        assertThat(served(rule, RolloutMode.CHALLENGER)).containsExactly(2, 3);

        apply(rule, Command.newBuilder(command(Command.Type.ROLLBACK, 2, "monitor", "accuracy fell"))
            .setRestoreVersion(1).build());

        Decision decision = rule.decide(RolloutMode.CHALLENGER, v -> true);
        assertThat(served(rule, RolloutMode.CHALLENGER)).as("v3 descends from v2, so it is barred too")
            .containsExactly(1, 0);
        assertThat(decision.basis()).isEqualTo(Basis.BEFORE_PROMOTED);
        assertThat(decision.explanation()).isEqualTo("the newest not barred before v2, which was promoted");
        assertThat(decision.lastChange()).isEqualTo("ROLLBACK v2 (restore v1) by monitor: accuracy fell");
        rule.addVersion(4, 1, 4_000L);
        assertThat(served(rule, RolloutMode.CHALLENGER)).containsExactly(1, 4);
    }

    @Test
    void aBarredPromotedChampionFallsBackToTheNewestServableVersionBeforeIt() {
        ServingRule rule = chain(4);
        rule.addVersion(5, 1, 5_000L);
        apply(rule, command(Command.Type.ROLLBACK, 3), command(Command.Type.PROMOTE, 4));

        assertThat(served(rule, RolloutMode.CHALLENGER)).containsExactly(2, 5);
    }

    @Test
    void versionsTheCallerCannotLoadAreNeitherChampionNorChallengerNorPinned() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PIN, 2));

        Decision decision = rule.decide(RolloutMode.NONE, v -> v != 2 && v != 3);

        assertThat(decision.champion()).isEqualTo(1);
        Decision challenger = chain(3).decide(RolloutMode.CHALLENGER, v -> v != 3);
        assertThat(new long[] {challenger.champion(), challenger.challenger()}).containsExactly(1, 2);
    }

    @Test
    void nothingIsChosenBeforeAnyVersionIsServable() {
        Decision decision = new ServingRule(MODEL).decide(RolloutMode.CHALLENGER, v -> true);

        assertThat(decision.champion()).isZero();
        assertThat(decision.challenger()).isZero();
        assertThat(decision.basis()).isEqualTo(Basis.NOTHING);
    }

    @Test
    void readingTheRecordsAgainOrInAnotherInterleavingGivesTheSameDecision() {
        List<Command> commands = List.of(command(Command.Type.PIN, 2), command(Command.Type.ROLLBACK, 3),
            command(Command.Type.UNPIN, 0), command(Command.Type.PROMOTE, 2), command(Command.Type.PIN, 1));
        ServingRule once = chain(4);
        commands.forEach(c -> once.apply(MODEL, c));

        ServingRule commandsFirst = new ServingRule(MODEL);
        commands.forEach(c -> commandsFirst.apply(MODEL, c));
        for (long v = 1; v <= 4; v++) {
            commandsFirst.addVersion(v, v - 1, v * 1_000L);
        }
        ServingRule reread = chain(4);
        commands.forEach(c -> reread.apply(MODEL, c));
        commands.subList(2, commands.size()).forEach(c -> reread.apply(MODEL, c));
        for (long v = 1; v <= 4; v++) {
            assertThat(reread.addVersion(v, v - 1, v * 1_000L)).isEqualTo(Lineage.Claim.REPEATED);
        }

        for (RolloutMode mode : RolloutMode.values()) {
            Decision expected = once.decide(mode, v -> true);
            assertThat(commandsFirst.decide(mode, v -> true)).isEqualTo(expected);
            assertThat(reread.decide(mode, v -> true)).isEqualTo(expected);
        }
        assertThat(once.decide(RolloutMode.CHALLENGER, v -> true).champion()).isEqualTo(1);
    }

    @Test
    void commandsForOtherModelsNonServingCommandsAndRollbacksWithoutATargetChangeNothing() {
        ServingRule rule = chain(3);
        Decision before = rule.decide(RolloutMode.NONE, v -> true);

        assertThat(rule.apply("other", Command.newBuilder(command(Command.Type.PIN, 1)).setModel("other").build()))
            .isEmpty();
        assertThat(rule.apply(MODEL, command(Command.Type.RETRAIN, 0))).isEmpty();
        assertThat(rule.apply(MODEL, command(Command.Type.ROLLBACK, 0))).isEmpty();
        assertThat(rule.apply(MODEL, command(Command.Type.PIN, 0))).isEmpty();

        assertThat(rule.decide(RolloutMode.NONE, v -> true)).isEqualTo(before);
    }

    @Test
    void aCommandWithoutAModelNameIsForTheModelItsKeyNames() {
        ServingRule rule = chain(3);
        Command unnamed = Command.newBuilder(command(Command.Type.PIN, 1)).clearModel().build();

        assertThat(rule.apply("other", unnamed)).isEmpty();
        assertThat(rule.apply(MODEL, unnamed)).hasValueSatisfying(c -> assertThat(c.action()).isEqualTo("PIN v1"));
        assertThat(served(rule, RolloutMode.NONE)).containsExactly(1, 0);
    }

    @Test
    void theChampionIfAVersionWereBarredFollowsTheRolloutMode() {
        ServingRule rule = chain(3);
        apply(rule, command(Command.Type.PROMOTE, 2));

        assertThat(rule.championIfBarred(3, RolloutMode.NONE, v -> true)).isEqualTo(2);
        assertThat(rule.championIfBarred(2, RolloutMode.CHALLENGER, v -> true)).isEqualTo(1);
        assertThat(rule.championIfBarred(1, RolloutMode.NONE, v -> true)).isZero();
        assertThat(rule.isBarred(2)).as("asking bars nothing").isFalse();
    }

    @Test
    void theChampionIfAVersionWereBarredPassesOverItsDescendantsWithoutBarringAnything() {
        ServingRule rule = chain(4);
        rule.addVersion(5, 2, 5_000L);

        assertThat(rule.championIfBarred(5, RolloutMode.NONE, v -> true)).isEqualTo(4);
        assertThat(rule.championIfBarred(2, RolloutMode.NONE, v -> true)).isEqualTo(1);
        assertThat(rule.barredVersions()).isEmpty();
    }

    @Test
    void aBarredVersionCarriesTheReasonOfTheRollbackOfItsNearestBarredAncestor() {
        ServingRule rule = chain(4);
        apply(rule, command(Command.Type.ROLLBACK, 2, "monitor", "accuracy fell to 0.6"));

        assertThat(rule.rollbackReason(4)).hasValue("accuracy fell to 0.6");
        assertThat(rule.rollbackReason(1)).isEmpty();
        assertThat(rule.barredVersions()).containsExactly(2L, 3L, 4L);
    }

    @Test
    void aCopyIsIndependentOfTheOriginal() {
        ServingRule rule = chain(2);
        ServingRule copy = rule.copy();

        rule.addVersion(3, 2, 3_000L);
        apply(rule, command(Command.Type.PIN, 1));

        assertThat(served(copy, RolloutMode.NONE)).containsExactly(2, 0);
        assertThat(copy.newest()).isEqualTo(2);
    }

    @Test
    void rolloutModesParseInAnyCaseAndRefuseOtherNamesListingTheValidOnes() {
        assertThat(RolloutMode.parse("Challenger")).isEqualTo(RolloutMode.CHALLENGER);
        assertThat(RolloutMode.SHADOW.configName()).isEqualTo("shadow");
        assertThatThrownBy(() -> RolloutMode.parse("canary"))
            .hasMessage("'canary' is not a rollout mode; use one of none, challenger, shadow");
    }
}
