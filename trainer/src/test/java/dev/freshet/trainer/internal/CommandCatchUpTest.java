package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import org.junit.jupiter.api.Test;

class CommandCatchUpTest {
    private static Command command(Command.Type type, String id) {
        return Command.newBuilder().setType(type).setCommandId(id).setModel("m").build();
    }

    private static CommandAck ack(String id, long atMs) {
        return CommandAck.newBuilder().setCommandId(id).setAcknowledgedAtMs(atMs).build();
    }

    @Test
    void anUnacknowledgedLearningCommandWaitsForTheRestoredStateInTheOrderRead() {
        CommandCatchUp catchUp = new CommandCatchUp(Map.of(), true);
        Command retrain = command(Command.Type.RETRAIN, "c1");
        Command pause = command(Command.Type.PAUSE, "c2");

        assertThat(catchUp.applyNow(retrain)).isFalse();
        assertThat(catchUp.applyNow(pause)).isFalse();
        assertThat(catchUp.deferred()).containsExactly(retrain, pause);
    }

    @Test
    void anAcknowledgedCommandIsAppliedAsReadAndNotDeferred() {
        CommandCatchUp catchUp = new CommandCatchUp(Map.of("c1", ack("c1", 5)), true);

        assertThat(catchUp.applyNow(command(Command.Type.PAUSE, "c1"))).isTrue();
        assertThat(catchUp.deferred()).isEmpty();
        assertThat(catchUp.lastAcknowledgedReset()).isNull();
    }

    @Test
    void aRollbackIsAppliedAtOnceWhetherOrNotAcknowledged() {
        CommandCatchUp catchUp = new CommandCatchUp(Map.of(), true);

        assertThat(catchUp.applyNow(command(Command.Type.ROLLBACK, "c1"))).isTrue();
        assertThat(catchUp.deferred()).isEmpty();
    }

    @Test
    void withoutAnAcknowledgementsTopicEveryCommandIsAppliedAsRead() {
        CommandCatchUp catchUp = new CommandCatchUp(Map.of(), false);

        assertThat(catchUp.applyNow(command(Command.Type.RETRAIN, "c1"))).isTrue();
        assertThat(catchUp.applyNow(command(Command.Type.RESET, "c2"))).isTrue();
        assertThat(catchUp.deferred()).isEmpty();
        assertThat(catchUp.lastAcknowledgedReset()).isNull();
    }

    @Test
    void theLastAcknowledgedResetIsRememberedWithItsAcknowledgementTime() {
        CommandCatchUp catchUp = new CommandCatchUp(Map.of("r1", ack("r1", 10), "r2", ack("r2", 20)), true);
        Command second = command(Command.Type.RESET, "r2");

        catchUp.applyNow(command(Command.Type.RESET, "r1"));
        catchUp.applyNow(second);

        assertThat(catchUp.lastAcknowledgedReset()).isEqualTo(second);
        assertThat(catchUp.lastResetAcknowledgedAtMs()).isEqualTo(20);
    }
}
