package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.freshet.proto.registry.v1.Command;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CommandRulesTest {
    private static Command command(Command.Type type, String id) {
        return Command.newBuilder().setType(type).setCommandId(id).build();
    }

    @ParameterizedTest(name = "{0} read {1}: {2}")
    @CsvSource({
        "ROLLBACK, live, CARRY_OUT",
        "ROLLBACK, at startup, RESTORE_STATE",
        "PAUSE, live, CARRY_OUT",
        "PAUSE, at startup, RESTORE_STATE",
        "RESUME, live, CARRY_OUT",
        "RESUME, at startup, RESTORE_STATE",
        "RETRAIN, live, CARRY_OUT",
        "RETRAIN, at startup, NOTHING",
        "RESET, live, CARRY_OUT",
        "RESET, at startup, NOTHING",
        "PIN, live, FOR_SERVING",
        "UNPIN, at startup, FOR_SERVING",
        "PROMOTE, live, FOR_SERVING",
        "TYPE_UNSPECIFIED, live, UNKNOWN",
    })
    void eachCommandIsHandledByItsTypeAndWhenItIsRead(Command.Type type, String when,
                                                     CommandRules.Handling expected) {
        assertThat(CommandRules.handling(type, when.equals("live"))).isEqualTo(expected);
    }

    @Test
    void aCommandNamesItsModelOrElseItsRecordKeyDoes() {
        Command named = Command.newBuilder().setType(Command.Type.RESET).setModel("fraud").build();
        Command unnamed = Command.newBuilder().setType(Command.Type.RESET).build();

        assertThat(CommandRules.addressedTo(named, "churn", "fraud")).isTrue();
        assertThat(CommandRules.addressedTo(named, "fraud", "churn")).isFalse();
        assertThat(CommandRules.addressedTo(unnamed, "churn", "churn")).isTrue();
        assertThat(CommandRules.addressedTo(unnamed, "fraud", "churn")).isFalse();
    }

    @Test
    void anAcknowledgedResetIsRepeatedOnlyIfNoCheckpointWasPublishedAfterIt() {
        assertThat(CommandRules.resetNeedsRepeating(1_000, 2_000)).isTrue();
        assertThat(CommandRules.resetNeedsRepeating(2_000, 2_000)).isFalse();
        assertThat(CommandRules.resetNeedsRepeating(3_000, 2_000)).isFalse();
    }

    @Test
    void pauseHoldsFromTheFirstPauseUntilAResume() {
        CommandRules.PauseState learning = CommandRules.PauseState.LEARNING;
        CommandRules.PauseState paused = learning.after(command(Command.Type.PAUSE, "p1"));

        assertThat(paused).isEqualTo(new CommandRules.PauseState(true, "p1"));
        assertThat(paused.changedBy(command(Command.Type.PAUSE, "p2"))).isFalse();
        assertThat(paused.after(command(Command.Type.PAUSE, "p2"))).as("the first PAUSE holds").isSameAs(paused);
        assertThat(paused.after(command(Command.Type.RESUME, "r1"))).isEqualTo(learning);
        assertThat(learning.changedBy(command(Command.Type.RESUME, "r2"))).isFalse();
        assertThat(learning.after(command(Command.Type.RESUME, "r2"))).isSameAs(learning);
    }
}
