package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

    private static void produce(KafkaTestCluster cluster, String prefix, List<Map.Entry<byte[], byte[]>> records) {
        for (int from = 0; from < records.size(); from += 250) {
            cluster.produceBytes(prefix + "training-examples",
                records.subList(from, Math.min(records.size(), from + 250)));
        }
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

    private static ModelVersion awaitVersionCovering(KafkaTestCluster cluster, String prefix, long examples) {
        List<ConsumerRecord<byte[], byte[]>> records = cluster.consumeUntil(prefix + "models",
            seen -> seen.stream().anyMatch(r -> parse(r.value()).getExamplesSeen() >= examples), TIMEOUT);
        return records.stream().map(r -> parse(r.value())).filter(v -> v.getExamplesSeen() >= examples)
            .findFirst().orElseThrow();
    }

    private static ModelVersion parse(byte[] bytes) {
        try {
            return ModelVersion.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
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

    private Process startTrainerProcess(KafkaTestCluster cluster, String prefix, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
            "-cp", System.getProperty("java.class.path"), TrainerProcess.class.getName(),
            cluster.bootstrapServers(), prefix));
        config(cluster, prefix).forEach((k, v) -> {
            if (!k.equals("bootstrap.servers") && !k.equals("topics.prefix")) {
                command.add(k + "=" + v);
            }
        });
        return new ProcessBuilder(command).redirectError(log.toFile()).start();
    }

    private static AtomicLong followSeen(Process process) {
        AtomicLong seen = new AtomicLong(-1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                     new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("seen ")) {
                        seen.set(Long.parseLong(line.substring(5).trim()));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // The process was killed: nothing more to read.
            }
        }, "trainer-process-stdout");
        reader.setDaemon(true);
        reader.start();
        return seen;
    }

    @Test
    void aKilledTrainerRestoresItsPackedCheckpointAndEndsExactlyLikeAnUninterruptedRun(KafkaTestCluster cluster)
            throws Exception {
        List<Map.Entry<byte[], byte[]>> examples = examples();

        String reference = createTopics(cluster);
        produce(cluster, reference, examples);
        ModelVersion uninterrupted;
        try (Trainer trainer = Trainer.start(config(cluster, reference))) {
            uninterrupted = awaitVersionCovering(cluster, reference, TOTAL - TOTAL % PUBLISH_EVERY);
        }

        String prefix = createTopics(cluster);
        produce(cluster, prefix, examples.subList(0, BEFORE_KILL));
        Path childLog = temp.resolve("trainer-process.log");
        Process child = startTrainerProcess(cluster, prefix, childLog);
        try {
            AtomicLong seen = followSeen(child);
            KafkaTestCluster.await("the trainer process learned " + BEFORE_KILL + " examples (log: " + childLog
                + ")", TIMEOUT, () -> seen.get() == BEFORE_KILL || !child.isAlive());
            assertThat(child.isAlive()).as("trainer process alive; its log:%n%s", Files.exists(childLog)
                ? Files.readString(childLog) : "").isTrue();
        } finally {
            // kill -9: examples 600..699 are learned but in no checkpoint.
            child.destroyForcibly().waitFor();
        }
        produce(cluster, prefix, examples.subList(BEFORE_KILL, TOTAL));

        ModelVersion resumed;
        try (Trainer trainer = Trainer.start(config(cluster, prefix))) {
            resumed = awaitVersionCovering(cluster, prefix, TOTAL - TOTAL % PUBLISH_EVERY);
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
