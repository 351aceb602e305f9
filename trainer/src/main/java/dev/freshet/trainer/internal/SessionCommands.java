package dev.freshet.trainer.internal;

import java.util.Map;
import java.util.Optional;

import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the five commands the trainer obeys (ROLLBACK, RETRAIN, RESET, PAUSE, RESUME) on a
 * {@link LearningSession}, as {@link CommandRules} decides, and words the result for the acknowledgement. Holds the
 * pause state. No I/O. Not thread-safe: the session's thread owns it.
 */
final class SessionCommands {
    private static final Logger log = LoggerFactory.getLogger(SessionCommands.class);

    private final LearningSession.Settings settings;
    private CommandRules.PauseState pause = CommandRules.PauseState.LEARNING;

    SessionCommands(LearningSession.Settings settings) {
        this.settings = settings;
    }

    /** Applies a command to the session; see {@link LearningSession#onCommand}. */
    LearningSession.CommandResult apply(LearningSession session, Command command, long nowMs, boolean live) {
        CommandRules.Handling handling = CommandRules.handling(command.getType(), live);
        switch (handling) {
            case FOR_SERVING -> {
                log.debug("Command '{}' ({}) is for serving; the trainer goes on.", command.getCommandId(),
                    command.getType());
                return LearningSession.CommandResult.unacknowledged();
            }
            case UNKNOWN -> {
                log.warn("Ignored command '{}' for model '{}' of unknown type {}.", command.getCommandId(),
                    settings.modelName(), command.getTypeValue());
                return LearningSession.CommandResult.unacknowledged();
            }
            case NOTHING -> {
                return LearningSession.CommandResult.unacknowledged();
            }
            default -> {
            }
        }
        LearningSession.CommandResult result = switch (command.getType()) {
            case ROLLBACK -> LearningSession.CommandResult.ok(rollback(session, command, live));
            case RETRAIN -> retrain(session, command, nowMs);
            case RESET -> reset(session, command);
            default -> pauseOrResume(session, command, live);
        };
        return handling == CommandRules.Handling.CARRY_OUT ? result
            : LearningSession.CommandResult.unacknowledged();
    }

    private String rollback(LearningSession session, Command command, boolean live) {
        long target = command.getTargetVersion();
        long restore = command.getRestoreVersion();
        session.bar(target);
        if (!live) {
            return "";
        }
        long current = session.currentVersion();
        if (session.continueFromSnapshot(restore)) {
            log.info("Rolled model '{}' back: barred v{} and its descendants, restored the learning state of v{} "
                + "from memory. Reason: {}", settings.modelName(), target, restore, command.getReason());
            return "barred v" + target + " and its descendants; learning continues from v" + restore;
        } else if (restore > 0 && session.continueFrom(restore)) {
            log.info("Rolled model '{}' back: barred v{} and its descendants, continued from v{}'s published weights "
                + "(no in-memory snapshot: from its checkpoint if it has one, else from its weights). Reason: {}",
                settings.modelName(), target, restore, command.getReason());
            return "barred v" + target + " and its descendants; learning continues from v" + restore
                + "'s published state";
        }
        log.warn("Rolled model '{}' back: barred v{} and its descendants, but could not restore v{} (unknown "
            + "here); learning continues from v{}. Reason: {}", settings.modelName(), target, restore,
            current, command.getReason());
        return "barred v" + target + " and its descendants; v" + restore + " is unknown to the trainer, so "
            + "learning continues from v" + current;
    }

    /** Starts the session's learning afresh, as a RESET asks; also used to apply one again at startup. */
    LearningSession.CommandResult reset(LearningSession session, Command command) {
        long replaced = session.currentVersion();
        session.startAfresh("fresh model after RESET command " + command.getCommandId()
            + (command.getReason().isEmpty() ? "" : ": " + command.getReason()));
        log.info("Reset model '{}' as asked by command '{}' from '{}': learning starts afresh from the next example "
                + "(replacing v{}); its next version has no parent. Reason: {}", settings.modelName(),
            command.getCommandId(), command.getIssuedBy(), replaced, command.getReason());
        return LearningSession.CommandResult.ok("the learning state is fresh (it replaced v" + replaced + "); "
            + "learning goes on from the next unread example and the next version has no parent"
            + (pause.paused() ? "; the trainer is paused, so learning waits for RESUME" : ""));
    }

    private LearningSession.CommandResult pauseOrResume(LearningSession session, Command command, boolean live) {
        boolean pausing = command.getType() == Command.Type.PAUSE;
        if (!pause.changedBy(command)) {
            return LearningSession.CommandResult.ok(pausing ? "already paused (since command '" + pause.pausedBy()
                + "')" : "was not paused; learning goes on");
        }
        pause = pause.after(command);
        if (live) {
            log.info("{} model '{}' as asked by command '{}' from '{}'. Reason: {}",
                pausing ? "Paused learning of" : "Resumed learning of", settings.modelName(), command.getCommandId(),
                command.getIssuedBy(), command.getReason());
        }
        Map<Integer, Long> offsets = session.nextOffsets();
        return LearningSession.CommandResult.ok(pausing
            ? "paused: no example is read or learned and no version published until RESUME; examples wait in "
                + settings.trainingTopic() + " from offsets " + offsets
            : "resumed: learning goes on from offsets " + offsets);
    }

    private LearningSession.CommandResult retrain(LearningSession session, Command command, long nowMs) {
        Optional<TestThenTrain.Retrained> retrained = session.retrainFromWindow();
        if (retrained.isEmpty()) {
            log.warn("Cannot retrain model '{}' as asked by command '{}': no examples retained yet. Reason given: {}",
                settings.modelName(), command.getCommandId(), command.getReason());
            return LearningSession.CommandResult.refused("no examples retained yet to retrain from (the window "
                + "fills as examples are learned)");
        }
        int examples = retrained.get().examples();
        Map<String, String> extra = Map.of("retrain_epochs", Integer.toString(settings.retrainEpochs()),
            "retrain_window_examples", Integer.toString(examples));
        String note = command.getReason().isEmpty() ? "RETRAIN command " + command.getCommandId()
            : command.getReason();
        log.info("Retraining model '{}' from scratch over the last {} examples for {} epochs, as asked by command "
                + "'{}' from '{}'. Reason: {}", settings.modelName(), examples, settings.retrainEpochs(),
            command.getCommandId(), command.getIssuedBy(), command.getReason());
        LearningSession.PendingVersion pending = session.prepare(retrained.get().learner(),
            ModelVersion.Origin.RETRAIN, note, retrained.get().versionMetrics(), extra, nowMs);
        return new LearningSession.CommandResult(true, CommandAck.Outcome.OK, "published v"
            + pending.version().getVersion() + ", retrained from the last " + examples + " examples over "
            + settings.retrainEpochs() + " epochs", Optional.of(pending));
    }

    /** Whether learning is paused, and by which command. */
    CommandRules.PauseState pauseState() {
        return pause;
    }
}
