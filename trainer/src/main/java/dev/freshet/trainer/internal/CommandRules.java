package dev.freshet.trainer.internal;

import java.util.Set;

import dev.freshet.proto.registry.v1.Command;

/**
 * The trainer's rules for commands, as decisions without I/O or learning state: which commands are for this model,
 * what a command does when read live and when read while catching up at startup, which the trainer acknowledges,
 * and the pause state. Stateless.
 */
final class CommandRules {
    /** Commands whose effect is learning (not barring) and that the trainer acknowledges when it carries them out. */
    static final Set<Command.Type> ACKNOWLEDGED_TYPES =
        Set.of(Command.Type.RETRAIN, Command.Type.RESET, Command.Type.PAUSE, Command.Type.RESUME);

    private CommandRules() {
    }

    /** What the trainer does with a command. */
    enum Handling {
        /** Carry it out and acknowledge it. */
        CARRY_OUT,
        /** Only restore the state it leaves behind (barring by ROLLBACK, PAUSE/RESUME); no acknowledgement. */
        RESTORE_STATE,
        /** Nothing: read at startup, it was carried out before, or will be once the state is restored. */
        NOTHING,
        /** Nothing: it is serving's decision (what to serve), not the trainer's. */
        FOR_SERVING,
        /** Nothing: a type this trainer does not know (a newer sender). */
        UNKNOWN
    }

    /**
     * How a command is handled.
     *
     * @param live false while catching up at startup, before the learning state is restored
     */
    static Handling handling(Command.Type type, boolean live) {
        return switch (type) {
            case ROLLBACK, PAUSE, RESUME -> live ? Handling.CARRY_OUT : Handling.RESTORE_STATE;
            case RETRAIN, RESET -> live ? Handling.CARRY_OUT : Handling.NOTHING;
            case PIN, UNPIN, PROMOTE -> Handling.FOR_SERVING;
            default -> Handling.UNKNOWN;
        };
    }

    /** Whether a command is for the model: the one it names, else the one its record's key names. */
    static boolean addressedTo(Command command, String recordKey, String model) {
        String target = command.getModel().isEmpty() ? recordKey : command.getModel();
        return model.equals(target);
    }

    /**
     * At startup: whether an acknowledged RESET must be applied again, because it never reached a version (the
     * newest checkpoint was published before the acknowledgement, so the restored state predates the reset).
     */
    static boolean resetNeedsRepeating(long newestCheckpointPublishedAtMs, long resetAcknowledgedAtMs) {
        return newestCheckpointPublishedAtMs < resetAcknowledgedAtMs;
    }

    /**
     * Whether learning is paused, and by which PAUSE command. PAUSE and RESUME toggle it; a PAUSE while paused, or a
     * RESUME while not, changes nothing (the first PAUSE stays the one that holds).
     */
    record PauseState(boolean paused, String pausedBy) {
        static final PauseState LEARNING = new PauseState(false, "");

        /** Whether a PAUSE or RESUME command changes this state. */
        boolean changedBy(Command command) {
            return (command.getType() == Command.Type.PAUSE) != paused;
        }

        /** The state after a PAUSE or RESUME command. */
        PauseState after(Command command) {
            if (!changedBy(command)) {
                return this;
            }
            return paused ? LEARNING : new PauseState(true, command.getCommandId());
        }
    }
}
