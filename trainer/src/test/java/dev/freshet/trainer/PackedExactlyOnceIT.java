package dev.freshet.trainer;

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

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With a model-schemas topic, versions are packed (domains once per schema, numbers per version), and a trainer
 * killed with kill -9 mid-stream still restores its packed checkpoint and ends bit for bit like an uninterrupted one.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class PackedExactlyOnceIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int TOTAL = 1500;
    private static final int BEFORE_KILL = 700;
    private static final int PUBLISH_EVERY = 200;

    @TempDir
    Path temp;

    private static List<Map.Entry<byte[], byte[]>> examples() {
        Random random = new Random(7);
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < TOTAL; i++) {
            double amount = 50 + 20 * random.nextGaussian();
            double velocity = random.nextGaussian();
            // A category first seen after the kill point: the restarted trainer publishes a new schema.
            String channel = i > 1100 && random.nextInt(4) == 0 ? "kiosk" : random.nextBoolean() ? "web" : "app";
            double score = (amount - 50) / 20 + velocity + ("web".equals(channel) ? 0.5 : 0);
            TrainingExample example = TrainingExample.newBuilder()
                .setRequestId("r-" + i).setEntityId("u-" + (i % 5))
                .putFeatures("amount", amount).putFeatures("velocity", velocity)
                .putFeatures("channel=" + channel, 1.0)
                .setLabel(score + 0.3 * random.nextGaussian() > 0 ? "1" : "0")
                .setLabelArrivedAtMs(1_000_000L + i)
                .build();
            records.add(Map.entry(("u-" + (i % 5)).getBytes(StandardCharsets.UTF_8), example.toByteArray()));
        }
        return records;
    }

    private static String createTopics(KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands",
            prefix + "model-schemas");
        return prefix;
    }

    private static Map<String, Object> config(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.publish.every.examples", Integer.toString(PUBLISH_EVERY));
        props.put("trainer.publish.interval.ms", "600000");
        return props;
    }

    private static List<ModelSchema> schemas(KafkaTestCluster cluster, String prefix, int count) {
        return cluster.consumeUntil(prefix + "model-schemas", seen -> seen.size() >= count, TIMEOUT).stream()
            .map(r -> {
                try {
                    return ModelSchema.parseFrom(r.value());
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                }
            }).toList();
    }

    @Test
    void aKilledTrainerRestoresItsPackedCheckpointAndEndsExactlyLikeAnUninterruptedRun(KafkaTestCluster cluster)
            throws Exception {
        List<Map.Entry<byte[], byte[]>> examples = examples();

        String reference = createTopics(cluster);
        cluster.produceBytes(reference + "training-examples", examples);
        ModelVersion uninterrupted;
        try (Trainer trainer = Trainer.start(config(cluster, reference))) {
            uninterrupted = TrainerProcess.awaitVersionCovering(cluster, reference, TOTAL - TOTAL % PUBLISH_EVERY,
                TIMEOUT);
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
            // kill -9: examples 600..699 are learned but in no checkpoint.
            child.destroyForcibly().waitFor();
        }
        cluster.produceBytes(prefix + "training-examples", examples.subList(BEFORE_KILL, TOTAL));

        ModelVersion resumed;
        try (Trainer trainer = Trainer.start(config(cluster, prefix))) {
            resumed = TrainerProcess.awaitVersionCovering(cluster, prefix, TOTAL - TOTAL % PUBLISH_EVERY,
                TIMEOUT);
        }

        assertThat(resumed.getTribuoModel().isEmpty()).as("a packed version carries no whole Tribuo model").isTrue();
        assertThat(resumed.getSchemaId()).isNotEmpty().isEqualTo(uninterrupted.getSchemaId());
        assertThat(resumed.getLearnerState().getFeatureNamesCount()).isZero();
        assertThat(learningState(resumed)).isEqualTo(learningState(uninterrupted));
        assertThat(resumed.getWeightsList()).isEqualTo(uninterrupted.getWeightsList());
        assertThat(resumed.getBiasList()).isEqualTo(uninterrupted.getBiasList());
        // One schema before "kiosk" appeared and one after, however often the trainer restarted.
        List<ModelSchema> schemas = schemas(cluster, prefix, 2);
        assertThat(schemas).extracting(ModelSchema::getFeatureNamesCount).containsExactly(4, 5);
        assertThat(schemas.get(1).getSchemaId()).isEqualTo(resumed.getSchemaId());
    }

    /** Weights, optimiser state and feature statistics; not the evaluation figures, which restart per process. */
    private static LearnerState learningState(ModelVersion version) {
        return version.getLearnerState().toBuilder().clearEvaluationState().build();
    }
}
