package dev.freshet.trainer;

import dev.freshet.trainer.testing.PublishedVersions;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;
import org.tribuo.protos.core.ModelProto;

/** A trainer process killed with kill -9 mid-stream ends exactly where an uninterrupted trainer ends. */
@ExtendWith(EmbeddedKafkaExtension.class)
class ExactlyOnceIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int TOTAL = 2100;
    private static final int BEFORE_KILL = 1000;
    private static final int PUBLISH_EVERY = 300;

    @TempDir
    Path temp;

    private static List<Map.Entry<byte[], byte[]>> examples() {
        Random random = new Random(2024);
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < TOTAL; i++) {
            double amount = 50 + 20 * random.nextGaussian();
            double velocity = random.nextGaussian();
            String channel = random.nextBoolean() ? "web" : "app";
            // A category first seen mid-stream, and a concept that shifts after the kill point.
            if (i > 1500 && random.nextInt(4) == 0) {
                channel = "kiosk";
            }
            double score = (amount - 50) / 20 + (i < 1200 ? velocity : -velocity) + ("web".equals(channel) ? 0.5 : 0);
            TrainingExample example = TrainingExample.newBuilder()
                .setRequestId("r-" + i).setEntityId("u-" + (i % 7))
                .putFeatures("amount", amount).putFeatures("velocity", velocity)
                .putFeatures("channel=" + channel, 1.0)
                .setLabel(score + 0.3 * random.nextGaussian() > 0 ? "1" : "0")
                .setLabelArrivedAtMs(1_000_000L + i)
                .build();
            records.add(Map.entry(("u-" + (i % 7)).getBytes(StandardCharsets.UTF_8), example.toByteArray()));
        }
        return records;
    }

    private static String createTopics(KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands");
        return prefix;
    }

    private static Map<String, Object> config(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.publish.every.examples", Integer.toString(PUBLISH_EVERY));
        // Versions come every PUBLISH_EVERY examples only, so both runs publish at the same examples.
        props.put("trainer.publish.interval.ms", "600000");
        return props;
    }

    private static List<ModelVersion> allVersions(KafkaTestCluster cluster, String prefix, int count) {
        return PublishedVersions.await(cluster, prefix + "models", count, TIMEOUT);
    }

    @Test
    void aTrainerKilledMidStreamResumesFromItsCheckpointAndEndsExactlyLikeAnUninterruptedRun(
            KafkaTestCluster cluster) throws Exception {
        List<Map.Entry<byte[], byte[]>> examples = examples();

        String reference = createTopics(cluster);
        cluster.produceBytes(reference + "training-examples", examples);
        ModelVersion uninterrupted;
        try (Trainer trainer = Trainer.start(config(cluster, reference))) {
            uninterrupted = TrainerProcess.awaitVersionCovering(cluster, reference, TOTAL, TIMEOUT);
        }

        String prefix = createTopics(cluster);
        cluster.produceBytes(prefix + "training-examples", examples.subList(0, BEFORE_KILL));
        Path childLog = temp.resolve("trainer-process.log");
        Process child = TrainerProcess.start(config(cluster, prefix), childLog);
        try {
            AtomicLong seen = TrainerProcess.followSeen(child);
            KafkaTestCluster.await("the trainer process learned " + BEFORE_KILL + " examples (log: " + childLog
                + ")", TIMEOUT, () -> seen.get() == BEFORE_KILL || !child.isAlive());
            assertThat(child.isAlive()).as("trainer process alive; its log:%n%s", Files.exists(childLog)
                ? Files.readString(childLog) : "").isTrue();
        } finally {
            // kill -9: examples 900..999 are learned but in no checkpoint.
            child.destroyForcibly().waitFor();
        }
        cluster.produceBytes(prefix + "training-examples", examples.subList(BEFORE_KILL, TOTAL));

        ModelVersion resumed;
        long learnedAfterRestart;
        try (Trainer trainer = Trainer.start(config(cluster, prefix))) {
            resumed = TrainerProcess.awaitVersionCovering(cluster, prefix, TOTAL, TIMEOUT);
            KafkaTestCluster.await("restarted trainer counted its examples", TIMEOUT,
                () -> trainer.stats().examplesSeen() >= TOTAL - 900);
            learnedAfterRestart = trainer.stats().examplesSeen();
        }

        assertThat(learnedAfterRestart).as("examples learned after the restart (from the checkpoint at 900)")
            .isEqualTo(TOTAL - 900);
        assertThat(resumed.getExamplesSeen()).isEqualTo(uninterrupted.getExamplesSeen()).isEqualTo(TOTAL);
        assertThat(resumed.getInputOffsetsMap()).isEqualTo(uninterrupted.getInputOffsetsMap())
            .containsEntry(0, (long) TOTAL);
        assertThat(learningState(resumed)).isEqualTo(learningState(uninterrupted));
        // The sliding evaluation window travelled in the checkpoint too.
        for (String metric : List.of("prequential_accuracy_window", "prequential_accuracy_since_parent",
                "prequential_auc_window", "prequential_macro_f1_window", "examples_window")) {
            assertThat(resumed.getMetricsMap().get(metric)).as(metric)
                .isCloseTo(uninterrupted.getMetricsMap().get(metric), org.assertj.core.api.Assertions.within(1e-9));
        }
        assertThat(probePredictions(resumed)).isEqualTo(probePredictions(uninterrupted));
        List<ModelVersion> versions = allVersions(cluster, prefix, TOTAL / PUBLISH_EVERY);
        assertThat(versions).extracting(ModelVersion::getExamplesSeen)
            .containsExactly(300L, 600L, 900L, 1200L, 1500L, 1800L, 2100L);
        assertThat(versions).extracting(ModelVersion::getParentVersion).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
    }

    /** Weights, optimiser state and feature statistics; not the evaluation figures, which restart per process. */
    private static LearnerState learningState(ModelVersion version) {
        return version.getLearnerState().toBuilder().clearEvaluationState().build();
    }

    private static List<String> probePredictions(ModelVersion version) throws Exception {
        Model<?> raw = Model.deserialize(ModelProto.parseFrom(version.getTribuoModel()));
        @SuppressWarnings("unchecked")
        Model<Label> model = (Model<Label>) raw;
        List<String> out = new ArrayList<>();
        Random random = new Random(99);
        for (int i = 0; i < 50; i++) {
            String channel = List.of("web", "app", "kiosk").get(i % 3);
            Prediction<Label> p = model.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL,
                new String[] {"amount", "velocity", "channel=" + channel},
                new double[] {50 + 20 * random.nextGaussian(), random.nextGaussian(), 1.0}));
            out.add(p.getOutput().getLabel() + String.format(":%.12f", p.getOutput().getScore()));
        }
        return out;
    }
}
