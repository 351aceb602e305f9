package dev.freshet.trainer;

import dev.freshet.trainer.testing.PublishedVersions;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.protos.core.ModelProto;
import org.tribuo.provenance.SimpleDataSourceProvenance;

@ExtendWith(EmbeddedKafkaExtension.class)
class TrainerIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Random random = new Random(42);

    private static String createTopics(KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands");
        return prefix;
    }

    private static Trainer start(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.publish.every.examples", 100);
        // Long enough that in these tests versions come exactly every 100 examples.
        props.put("trainer.publish.interval.ms", 600_000L);
        props.put("trainer.retrain.window.examples", 150);
        return Trainer.start(props);
    }

    private void produceExamples(KafkaTestCluster cluster, String prefix, int n) {
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double amount = 5000 + 1500 * random.nextGaussian();
            boolean web = random.nextBoolean();
            TrainingExample.Builder example = TrainingExample.newBuilder()
                .setRequestId("r-" + i).setEntityId("u-" + (i % 10))
                .putFeatures("amount", amount)
                .setLabel((amount - 5000) / 1500 + (web ? 1 : -1) > 0 ? "1" : "0")
                .setLabelArrivedAtMs(1_000_000L + i);
            if (web) {
                example.putFeatures("channel=web", 1.0);
            }
            records.add(Map.entry(("u-" + (i % 10)).getBytes(StandardCharsets.UTF_8), example.build().toByteArray()));
        }
        cluster.produceBytes(prefix + "training-examples", records);
    }

    private static List<ModelVersion> awaitVersions(KafkaTestCluster cluster, String prefix, int count) {
        return PublishedVersions.await(cluster, prefix + "models", count, TIMEOUT);
    }

    private static ModelVersion parse(byte[] bytes) {
        try {
            return ModelVersion.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static void publishVersion(KafkaTestCluster cluster, String prefix, ModelVersion version) {
        cluster.produceBytes(prefix + "models", List.of(Map.entry(
            (version.getModel() + "/" + version.getVersion()).getBytes(StandardCharsets.UTF_8),
            version.toByteArray())));
    }

    private static void sendCommand(KafkaTestCluster cluster, String prefix, Command command) {
        cluster.produceBytes(prefix + "commands", List.of(Map.entry(
            command.getModel().getBytes(StandardCharsets.UTF_8), command.toByteArray())));
    }

    private static void awaitExamplesSeen(Trainer trainer, long n) {
        KafkaTestCluster.await("trainer learned " + n + " examples", TIMEOUT,
            () -> trainer.stats().examplesSeen() >= n);
    }

    @Test
    void publishesVersionsWithIncreasingNumbersParentLinksInputOffsetsAndMetrics(KafkaTestCluster cluster)
            throws Exception {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 300);

            List<ModelVersion> versions = awaitVersions(cluster, prefix, 3);

            assertThat(versions).extracting(ModelVersion::getVersion).containsExactly(1L, 2L, 3L);
            assertThat(versions).extracting(ModelVersion::getParentVersion).containsExactly(0L, 1L, 2L);
            assertThat(versions).extracting(ModelVersion::getOrigin).containsOnly(ModelVersion.Origin.ONLINE);
            assertThat(versions).extracting(v -> v.getInputOffsetsMap().get(0)).containsExactly(100L, 200L, 300L);
            assertThat(versions).extracting(ModelVersion::getExamplesSeen).containsExactly(100L, 200L, 300L);
            ModelVersion v3 = versions.get(2);
            assertThat(v3.getMetricsMap()).containsEntry("examples_since_parent", 100.0);
            assertThat(v3.getMetricsMap().get("prequential_accuracy_since_parent")).isGreaterThan(0.7);
            assertThat(v3.getMetricsMap()).containsKeys("prequential_log_loss_since_parent",
                "prequential_accuracy_window", "prequential_log_loss_window", "prequential_auc_since_parent",
                "prequential_auc_window", "prequential_macro_f1_since_parent", "prequential_macro_f1_window");
            assertThat(v3.getMetricsMap().get("prequential_auc_window")).isGreaterThan(0.8);
            assertThat(v3.hasLearnerState()).isTrue();
            assertThat(v3.getHyperparametersMap()).containsKeys("objective", "optimiser", "learning_rate", "l2");
            assertThat(v3.getPublishedAtMs()).isPositive();

            Model<?> model = Model.deserialize(ModelProto.parseFrom(v3.getTribuoModel()));
            assertThat(model.getFeatureIDMap().size()).isEqualTo(2);
            assertThat(committedOffset(cluster, prefix)).isEqualTo(300L);
            assertThat(trainer.stats().versionsPublished()).isEqualTo(3);
            assertThat(trainer.stats().currentVersion()).isEqualTo(3);
        }
    }

    private static long committedOffset(KafkaTestCluster cluster, String prefix) {
        TopicPartition partition = new TopicPartition(prefix + "training-examples", 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                 Map.of("bootstrap.servers", cluster.bootstrapServers(), "group.id", prefix + "trainer"),
                 new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            OffsetAndMetadata committed = consumer.committed(Set.of(partition), TIMEOUT).get(partition);
            return committed == null ? -1 : committed.offset();
        }
    }

    @Test
    void retrainCommandPublishesARetrainVersionWithTheReason(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 200);
            awaitVersions(cluster, prefix, 2);

            sendCommand(cluster, prefix, Command.newBuilder().setCommandId("c-1").setType(Command.Type.RETRAIN)
                .setModel("default").setReason("Feature 'amount' drifted: PSI 0.4 over the last hour.")
                .setIssuedBy("monitor").build());
            ModelVersion retrained = awaitVersions(cluster, prefix, 3).get(2);

            assertThat(retrained.getVersion()).isEqualTo(3);
            assertThat(retrained.getOrigin()).isEqualTo(ModelVersion.Origin.RETRAIN);
            assertThat(retrained.getParentVersion()).isEqualTo(2);
            assertThat(retrained.getNote()).isEqualTo("Feature 'amount' drifted: PSI 0.4 over the last hour.");
            assertThat(retrained.getExamplesSeen()).isEqualTo(150);
            assertThat(trainer.stats().currentVersion()).isEqualTo(3);
        }
    }

    @Test
    void rollbackCommandMakesTheNextVersionContinueFromTheRestoreVersion(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 300);
            awaitVersions(cluster, prefix, 3);

            sendCommand(cluster, prefix, Command.newBuilder().setCommandId("c-2").setType(Command.Type.ROLLBACK)
                .setModel("default").setTargetVersion(2).setRestoreVersion(1)
                .setReason("Accuracy of v2 fell to 0.61 from 0.85.").build());
            KafkaTestCluster.await("trainer restored v1", TIMEOUT, () -> trainer.stats().currentVersion() == 1);
            produceExamples(cluster, prefix, 100);
            ModelVersion next = awaitVersions(cluster, prefix, 4).get(3);

            assertThat(next.getVersion()).isEqualTo(4);
            assertThat(next.getParentVersion()).isEqualTo(1);
            assertThat(next.getExamplesSeen()).isEqualTo(200);
            assertThat(next.getInputOffsetsMap()).containsEntry(0, 400L);
        }
    }

    @Test
    void adoptsAnExternalVersionPublishedToTheRegistry(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer trainer = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 100);
            awaitVersions(cluster, prefix, 1);

            publishVersion(cluster, prefix, ModelVersion.newBuilder().setModel("default").setVersion(2)
                .setOrigin(ModelVersion.Origin.EXTERNAL).setTribuoModel(externalModel())
                .setNote("operator's model").build());
            KafkaTestCluster.await("trainer adopted v2", TIMEOUT, () -> trainer.stats().currentVersion() == 2);
            produceExamples(cluster, prefix, 100);
            ModelVersion next = awaitVersions(cluster, prefix, 3).get(2);

            assertThat(next.getVersion()).isEqualTo(3);
            assertThat(next.getParentVersion()).isEqualTo(2);
            assertThat(next.getOrigin()).isEqualTo(ModelVersion.Origin.ONLINE);
        }
    }

    @Test
    void continuesFromTheNewestVersionAndCommittedOffsetsAfterARestart(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer first = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 100);
            awaitVersions(cluster, prefix, 1);
            awaitExamplesSeen(first, 100);
        }
        try (Trainer second = start(cluster, prefix)) {
            KafkaTestCluster.await("restarted trainer adopted v1", TIMEOUT,
                () -> second.stats().currentVersion() == 1);
            produceExamples(cluster, prefix, 100);
            ModelVersion next = awaitVersions(cluster, prefix, 2).get(1);

            assertThat(next.getParentVersion()).isEqualTo(1);
            assertThat(next.getInputOffsetsMap()).containsEntry(0, 200L);
            assertThat(next.getExamplesSeen()).isEqualTo(200);
            assertThat(second.stats().examplesSeen()).isEqualTo(100);
        }
    }

    @Test
    void aRetrainRightAfterARestartLearnsFromTheExamplesBeforeTheCheckpoint(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        try (Trainer first = start(cluster, prefix)) {
            produceExamples(cluster, prefix, 200);
            awaitVersions(cluster, prefix, 2);
        }
        try (Trainer second = start(cluster, prefix)) {
            KafkaTestCluster.await("restarted trainer resumed at v2", TIMEOUT,
                () -> second.stats().currentVersion() == 2);
            sendCommand(cluster, prefix, Command.newBuilder().setCommandId("c-3").setType(Command.Type.RETRAIN)
                .setModel("default").setReason("drift").build());
            ModelVersion retrained = awaitVersions(cluster, prefix, 3).get(2);

            assertThat(retrained.getOrigin()).isEqualTo(ModelVersion.Origin.RETRAIN);
            assertThat(retrained.getExamplesSeen()).as("the whole window of 150, refilled from the topic")
                .isEqualTo(150);
            assertThat(second.stats().examplesSeen()).as("nothing learned twice").isZero();
        }
    }

    private ByteString externalModel() {
        LabelFactory labelFactory = new LabelFactory();
        MutableDataset<Label> dataset =
            new MutableDataset<>(new SimpleDataSourceProvenance("operator", labelFactory), labelFactory);
        for (int i = 0; i < 200; i++) {
            double amount = random.nextGaussian();
            dataset.add(new ArrayExample<>(new Label(amount > 0 ? "1" : "0"), new String[] {"amount"},
                new double[] {amount}));
        }
        Model<Label> model = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.1), 2, 1L).train(dataset);
        Prediction<Label> check = model.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL,
            new String[] {"amount"}, new double[] {1.0}));
        assertThat(check.getOutput().getLabel()).isEqualTo("1");
        return ByteString.copyFrom(model.serialize().toByteArray());
    }
}
