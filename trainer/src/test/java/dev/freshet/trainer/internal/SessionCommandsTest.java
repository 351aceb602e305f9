package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;

/** The trainer's commands as decisions on a session: no Kafka, only what each command leaves behind. */
class SessionCommandsTest {
    private static final LearningSession.Settings SETTINGS = new LearningSession.Settings("default",
        List.of("0", "1"), 0.1, 1e-5, 100, 60_000, 500, 2, "t.training-examples");

    private static Command command(Command.Type type, String id) {
        return Command.newBuilder().setType(type).setCommandId(id).setModel("default").setReason("ops").build();
    }

    private static LearningSession learned(int examples) {
        LearningSession session = new LearningSession(SETTINGS, 0);
        for (int i = 0; i < examples; i++) {
            double x = (i % 7) - 3;
            session.learn(TrainingExample.newBuilder().setRequestId("r").putFeatures("x", x)
                .setLabel(x > 0 ? "1" : "0").build(), 0, i);
        }
        return session;
    }

    private static ModelVersion publish(LearningSession session) {
        LearningSession.PendingVersion pending = session.prepareVersion(1000);
        session.published(pending, 1000);
        return pending.version();
    }

    @Test
    void pauseHoldsUntilResumeAndASecondPauseSaysWhichOneHolds() {
        LearningSession session = learned(10);

        LearningSession.CommandResult first = session.onCommand(command(Command.Type.PAUSE, "p1"), 0, true);
        LearningSession.CommandResult second = session.onCommand(command(Command.Type.PAUSE, "p2"), 0, true);

        assertThat(first.outcome()).isEqualTo(CommandAck.Outcome.OK);
        assertThat(first.detail()).startsWith("paused:").contains("t.training-examples").contains("{0=10}");
        assertThat(second.detail()).isEqualTo("already paused (since command 'p1')");
        assertThat(session.paused()).isTrue();
        assertThat(session.pausedBy()).isEqualTo("p1");

        LearningSession.CommandResult resumed = session.onCommand(command(Command.Type.RESUME, "r1"), 0, true);
        assertThat(resumed.detail()).startsWith("resumed:");
        assertThat(session.paused()).isFalse();
        assertThat(session.onCommand(command(Command.Type.RESUME, "r2"), 0, true).detail())
            .isEqualTo("was not paused; learning goes on");
    }

    @Test
    void aPauseReadAtStartupRestoresThePauseWithoutAcknowledgingIt() {
        LearningSession session = learned(0);

        LearningSession.CommandResult result = session.onCommand(command(Command.Type.PAUSE, "p1"), 0, false);

        assertThat(result.acknowledge()).isFalse();
        assertThat(session.paused()).isTrue();
    }

    @Test
    void resetStartsAfreshAndTheNextVersionHasNoParent() {
        LearningSession session = learned(100);
        publish(session);

        LearningSession.CommandResult result = session.onCommand(command(Command.Type.RESET, "x1"), 0, true);
        learnOneMore(session);
        ModelVersion next = publish(session);

        assertThat(result.outcome()).isEqualTo(CommandAck.Outcome.OK);
        assertThat(result.detail()).contains("replaced v1");
        assertThat(next.getParentVersion()).isZero();
        assertThat(next.getExamplesSeen()).isEqualTo(1);
        assertThat(next.getNote()).isEqualTo("fresh model after RESET command x1: ops");
    }

    private static void learnOneMore(LearningSession session) {
        session.learn(TrainingExample.newBuilder().setRequestId("r").putFeatures("x", 1.0).setLabel("1").build(),
            0, 100);
    }

    @Test
    void aResetReadAtStartupIsNotCarriedOut() {
        LearningSession session = learned(100);

        LearningSession.CommandResult result = session.onCommand(command(Command.Type.RESET, "x1"), 0, false);

        assertThat(result.acknowledge()).isFalse();
        assertThat(session.learner().examplesLearned()).isEqualTo(100);
    }

    @Test
    void aRetrainWithAnEmptyWindowIsRefused() {
        LearningSession.CommandResult result = learned(0).onCommand(command(Command.Type.RETRAIN, "t1"), 0, true);

        assertThat(result.outcome()).isEqualTo(CommandAck.Outcome.REFUSED);
        assertThat(result.version()).isEmpty();
    }

    @Test
    void servingsCommandsChangeNothingAndAreNotAcknowledged() {
        LearningSession session = learned(100);
        publish(session);

        LearningSession.CommandResult result = session.onCommand(Command.newBuilder().setType(Command.Type.PIN)
            .setModel("default").setTargetVersion(1).build(), 0, true);

        assertThat(result.acknowledge()).isFalse();
        assertThat(session.currentVersion()).isEqualTo(1);
        assertThat(session.learner().examplesLearned()).isEqualTo(100);
    }

    @Test
    void aRollbackToAVersionTheTrainerDoesNotKnowBarsTheTargetAndGoesOn() {
        LearningSession session = learned(100);
        publish(session);

        LearningSession.CommandResult result = session.onCommand(command(Command.Type.ROLLBACK, "b1").toBuilder()
            .setTargetVersion(1).setRestoreVersion(7).build(), 0, true);

        assertThat(result.outcome()).isEqualTo(CommandAck.Outcome.OK);
        assertThat(result.detail()).isEqualTo("barred v1 and its descendants; v7 is unknown to the trainer, so "
            + "learning continues from v1");
        assertThat(session.adoptNewestIfForeign()).isFalse();
    }
}
