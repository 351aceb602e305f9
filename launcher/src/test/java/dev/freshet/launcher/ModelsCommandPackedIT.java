package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.trainer.Trainer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code freshet models show|diff} on packed versions (a model-schemas topic exists, so the trainer publishes the
 * domains once per schema and only the numbers per version).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelsCommandPackedIT {
    private static final String PREFIX = "models-packed-it.";
    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void registryWithThreeVersionsTheLastRolledBack() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of("training-examples", "models", "commands", "model-schemas").stream()
                .map(s -> new NewTopic(PREFIX + s, 1, (short) 1)).toList()).all().get();
        }
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("topics.prefix", PREFIX);
        props.put("trainer.publish.every.examples", 100);
        props.put("trainer.publish.interval.ms", 600_000L);
        try (Trainer trainer = Trainer.start(props);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                 Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                 new ByteArraySerializer())) {
            Random random = new Random(1);
            for (int i = 0; i < 300; i++) {
                double amount = 100 + 30 * random.nextGaussian();
                boolean web = i >= 150 && random.nextBoolean();
                TrainingExample.Builder example = TrainingExample.newBuilder().setRequestId("r-" + i)
                    .putFeatures("amount", amount).setLabel(amount + (web ? 40 : 0) > 110 ? "1" : "0");
                if (web) {
                    example.putFeatures("channel=web", 1.0);
                }
                producer.send(new ProducerRecord<>(PREFIX + "training-examples", "u", example.build().toByteArray()));
            }
            producer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (trainer.stats().versionsPublished() < 3) {
                assertThat(System.nanoTime()).as("three versions published within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            producer.send(new ProducerRecord<>(PREFIX + "commands", "default", Command.newBuilder()
                .setCommandId("c-1").setType(Command.Type.ROLLBACK).setModel("default").setTargetVersion(3)
                .setRestoreVersion(2).setReason("test").build().toByteArray())).get();
        }
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void showPrintsTheCheckpointSchemaAndProvenanceOfAPackedVersion() {
        CliRun r = CliRun.of("models", "show", "v3", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Model 'default' v3 (ONLINE) - BARRED by a rollback")
            .contains("lineage:       v3 <- v2 <- v1")
            .contains("input offsets: {0=300}")
            .contains("checkpoint:    2 features, optimiser adagrad")
            .containsPattern("schema: +[0-9a-f]{24} \\(classification, outputs \\[0, 1\\], 2 features\\)")
            .containsPattern("domain +2 features, 2 outputs")
            .containsPattern("optimiser +adagrad")
            .containsPattern("prequential_auc_window +0\\.\\d{4}")
            .contains("org.tribuo.classification.sgd.linear.LinearSGDModel")
            .containsPattern("freshet-parent-version +2");
    }

    @Test
    void diffReadsTheWeightsOfPackedVersionsThroughTheirSchemas() {
        CliRun r = CliRun.of("models", "diff", "1", "3", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX, "--top", "5");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("v1 is an ancestor of v3")
            .contains("(identical)")
            .containsPattern("prequential_accuracy_since_parent +0\\.\\d{4} +0\\.\\d{4} +[+-]0\\.\\d{4}")
            .contains("channel=web (new)")
            .containsPattern("amount +[01] ");
    }
}
