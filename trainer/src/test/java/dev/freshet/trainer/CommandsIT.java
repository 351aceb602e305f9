package dev.freshet.trainer;

import dev.freshet.trainer.testing.PublishedVersions;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** RETRAIN, RESET, PAUSE and RESUME from an operator, each acknowledged on the command-acks topic. */
@ExtendWith(EmbeddedKafkaExtension.class)
class CommandsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Random random = new Random(7);
    private int produced;

    private static String createTopics(KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands",
            prefix + "command-acks");
        return prefix;
    }

    private static Trainer start(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.publish.every.examples", 100);
        props.put("trainer.publish.interval.ms", 600_000L);
        props.put("trainer.retrain.window.examples", 100);
        return Trainer.start(props);
    }

    private void produceExamples(KafkaTestCluster cluster, String prefix, int n) {
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double x = random.nextGaussian();
            TrainingExample example = TrainingExample.newBuilder()
                .setRequestId("r-" + produced++).setEntityId("u-1")
                .putFeatures("x", x).setLabel(x > 0 ? "1" : "0").setLabelArrivedAtMs(produced).build();
            records.add(Map.entry("u-1".getBytes(StandardCharsets.UTF_8), example.toByteArray()));
        }
        cluster.produceBytes(prefix + "training-examples", records);
    }

    private static CommandAck command(KafkaTestCluster cluster, String prefix, Command.Type type, String id) {
        Command command = Command.newBuilder().setCommandId(id).setType(type).setModel("default")
            .setReason("operator test").setIssuedBy("test").build();
        cluster.produceBytes(prefix + "commands", List.of(Map.entry("default".getBytes(StandardCharsets.UTF_8),
            command.toByteArray())));
        List<ConsumerRecord<byte[], byte[]>> records = cluster.consumeUntil(prefix + "command-acks",
            seen -> find(seen, id).isPresent(), TIMEOUT);
        return find(records, id).orElseThrow();
    }

    private static Optional<CommandAck> find(List<ConsumerRecord<byte[], byte[]>> records, String id) {
        return records.stream().map(r -> parseAck(r.value())).filter(a -> a.getCommandId().equals(id)).findFirst();
    }

    private static CommandAck parseAck(byte[] bytes) {
        try {
            return CommandAck.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static ModelVersion awaitVersion(KafkaTestCluster cluster, String prefix, long version) {
        return PublishedVersions.await(cluster, prefix + "models", (int) version, TIMEOUT).stream()
            .filter(mv -> mv.getVersion() == version).findFirst()
            .orElseThrow(() -> new AssertionError("no v" + version));
    }

    @Test
    void pauseStopsReadingUntilResumeAndNoExampleIsLostEvenAcrossARestart(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 100);
            awaitVersion(cluster, prefix, 1);

            CommandAck paused = command(cluster, prefix, Command.Type.PAUSE, "op-pause");

            assertThat(paused.getOutcome()).isEqualTo(CommandAck.Outcome.OK);
            assertThat(paused.getType()).isEqualTo(Command.Type.PAUSE);
            assertThat(paused.getDetail()).startsWith("paused");
            produceExamples(cluster, prefix, 200);
            // Commands are handled in order; had the trainer read the examples, it would have learned them by now.
            assertThat(command(cluster, prefix, Command.Type.PAUSE, "op-pause-again").getDetail())
                .startsWith("already paused");
            assertThat(trainer.stats().examplesSeen()).isEqualTo(100);
        }
        try (Trainer restarted = start(cluster, prefix)) {
            assertThat(command(cluster, prefix, Command.Type.PAUSE, "op-pause-after-restart").getDetail())
                .as("the pause survives a restart").startsWith("already paused");
            assertThat(restarted.stats().examplesSeen()).isZero();

            CommandAck resumed = command(cluster, prefix, Command.Type.RESUME, "op-resume");

            assertThat(resumed.getOutcome()).isEqualTo(CommandAck.Outcome.OK);
            ModelVersion v3 = awaitVersion(cluster, prefix, 3);
            assertThat(v3.getInputOffsetsMap()).containsEntry(0, 300L);
            assertThat(v3.getExamplesSeen()).isEqualTo(300);
        }
    }

    @Test
    void resetStartsAFreshModelWithoutParentAndKeepsTheOffsets(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 100);
            awaitVersion(cluster, prefix, 1);

            CommandAck reset = command(cluster, prefix, Command.Type.RESET, "op-reset");
            produceExamples(cluster, prefix, 100);
            ModelVersion v2 = awaitVersion(cluster, prefix, 2);

            assertThat(reset.getOutcome()).isEqualTo(CommandAck.Outcome.OK);
            assertThat(reset.getDetail()).contains("replaced v1");
            assertThat(v2.getParentVersion()).isZero();
            assertThat(v2.getExamplesSeen()).isEqualTo(100);
            assertThat(v2.getInputOffsetsMap()).containsEntry(0, 200L);
            assertThat(v2.getNote()).contains("RESET command op-reset").contains("operator test");
        }
    }

    @Test
    void retrainIsAcknowledgedWithTheVersionItPublished(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            CommandAck refused = command(cluster, prefix, Command.Type.RETRAIN, "op-retrain-early");
            produceExamples(cluster, prefix, 100);
            awaitVersion(cluster, prefix, 1);

            CommandAck retrained = command(cluster, prefix, Command.Type.RETRAIN, "op-retrain");

            assertThat(refused.getOutcome()).isEqualTo(CommandAck.Outcome.REFUSED);
            assertThat(refused.getDetail()).contains("no examples retained");
            assertThat(retrained.getOutcome()).isEqualTo(CommandAck.Outcome.OK);
            assertThat(retrained.getModelVersion()).isEqualTo(2);
            assertThat(awaitVersion(cluster, prefix, 2).getOrigin()).isEqualTo(ModelVersion.Origin.RETRAIN);
        }
    }

    @Test
    void aCommandSentWhileNoTrainerRunsIsCarriedOutAndAcknowledgedAtStart(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        Command pause = Command.newBuilder().setCommandId("op-early").setType(Command.Type.PAUSE).setModel("default")
            .setReason("before any trainer").build();
        cluster.produceBytes(prefix + "commands", List.of(Map.entry("default".getBytes(StandardCharsets.UTF_8),
            pause.toByteArray())));
        produceExamples(cluster, prefix, 50);

        try (Trainer trainer = start(cluster, prefix)) {
            CommandAck ack = find(cluster.consumeUntil(prefix + "command-acks",
                seen -> find(seen, "op-early").isPresent(), TIMEOUT), "op-early").orElseThrow();

            assertThat(ack.getOutcome()).isEqualTo(CommandAck.Outcome.OK);
            assertThat(ack.getDetail()).startsWith("paused");
            assertThat(command(cluster, prefix, Command.Type.PAUSE, "op-check").getDetail())
                .startsWith("already paused");
            assertThat(trainer.stats().examplesSeen()).isZero();
        }
    }

    @Test
    void aResetNotYetInAVersionSurvivesARestart(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 100);
            awaitVersion(cluster, prefix, 1);
            assertThat(command(cluster, prefix, Command.Type.RESET, "op-reset").getOutcome())
                .isEqualTo(CommandAck.Outcome.OK);
        }
        try (Trainer restarted = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 100);

            ModelVersion v2 = awaitVersion(cluster, prefix, 2);

            assertThat(v2.getParentVersion()).as("the restored v1 checkpoint predates the reset").isZero();
            assertThat(v2.getExamplesSeen()).isEqualTo(100);
            assertThat(v2.getInputOffsetsMap()).containsEntry(0, 200L);
        }
    }
}
