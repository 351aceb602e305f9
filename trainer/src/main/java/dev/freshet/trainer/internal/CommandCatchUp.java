package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;

/**
 * Which commands read while catching up at startup are applied then, and which wait until the learning state is
 * restored: a command the trainer acknowledges ({@link CommandRules#ACKNOWLEDGED_TYPES}) but that has no
 * acknowledgement yet was sent while no trainer ran; it is carried out live, in order, after the catch-up. Remembers
 * the last acknowledged RESET, which may need applying again ({@link CommandRules#resetNeedsRepeating}). Decisions
 * only, no I/O. Not thread-safe.
 */
final class CommandCatchUp {
    private final Map<String, CommandAck> acknowledged;
    private final boolean acknowledging;
    private final List<Command> deferred = new ArrayList<>();
    private Command lastAcknowledgedReset;
    private long lastResetAcknowledgedAtMs;

    /**
     * @param acknowledged this model's acknowledgements so far, by command id
     * @param acknowledging false when there is no acknowledgements topic: nothing can be told apart then, so every
     *     command is applied as read
     */
    CommandCatchUp(Map<String, CommandAck> acknowledged, boolean acknowledging) {
        this.acknowledged = Map.copyOf(acknowledged);
        this.acknowledging = acknowledging;
    }

    /**
     * Takes a command read while catching up.
     *
     * @return true to apply it now (not live); false if it was deferred to {@link #deferred()}
     */
    boolean applyNow(Command command) {
        if (!acknowledging || !CommandRules.ACKNOWLEDGED_TYPES.contains(command.getType())) {
            return true;
        }
        CommandAck ack = acknowledged.get(command.getCommandId());
        if (ack == null) {
            deferred.add(command);
            return false;
        }
        if (command.getType() == Command.Type.RESET) {
            lastAcknowledgedReset = command;
            lastResetAcknowledgedAtMs = ack.getAcknowledgedAtMs();
        }
        return true;
    }

    /** The commands to carry out live once the state is restored, in the order read. */
    List<Command> deferred() {
        return List.copyOf(deferred);
    }

    /** The last RESET read that was acknowledged, or null. */
    Command lastAcknowledgedReset() {
        return lastAcknowledgedReset;
    }

    /** When {@link #lastAcknowledgedReset()} was acknowledged. */
    long lastResetAcknowledgedAtMs() {
        return lastResetAcknowledgedAtMs;
    }
}
