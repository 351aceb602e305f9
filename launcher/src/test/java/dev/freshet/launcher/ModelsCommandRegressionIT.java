package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.trainer.Trainer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code freshet models list|show} on a regression learned from a model spec: error figures and the spec. */
class ModelsCommandRegressionIT {
    private static final String PREFIX = "models-regression-it.";

    @Test
    void listShowsErrorFiguresAndShowNamesTheSpecAndFeatureView(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of("training-examples", "models", "commands", "command-acks").stream()
                    .map(s -> new NewTopic(PREFIX + s, 1, (short) 1)).toList()).all().get();
            }
            Path spec = Files.writeString(dir.resolve("basket.yaml"), """
                name: basket
                feature_view: {name: baskets, version: 3}
                task: regression
                publish: {every_examples: 100, interval: 10m}
                """);
            Map<String, Object> props = new HashMap<>();
            props.put("bootstrap.servers", broker.bootstrapServers());
            props.put("topics.prefix", PREFIX);
            props.put("trainer.spec.file", spec.toString());
            try (Trainer trainer = Trainer.start(props);
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                     Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                     new ByteArraySerializer())) {
                Random random = new Random(2);
                for (int i = 0; i < 200; i++) {
                    double x = random.nextGaussian();
                    producer.send(new ProducerRecord<>(PREFIX + "training-examples", "b", TrainingExample.newBuilder()
                        .setRequestId("r-" + i).putFeatures("x", x).setLabel(Double.toString(3 * x + 1))
                        .build().toByteArray()));
                    if (i == 150) {
                        producer.send(new ProducerRecord<>(PREFIX + "training-examples", "b", TrainingExample
                            .newBuilder().setRequestId("r-na").putFeatures("x", x).setLabel("NA").build()
                            .toByteArray()));
                    }
                }
                producer.flush();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (trainer.stats().versionsPublished() < 2) {
                    assertThat(System.nanoTime()).as("two versions within 30 s").isLessThan(deadline);
                    Thread.sleep(20);
                }
            }

            CliRun list = CliRun.of("models", "list", "--model", "basket", "--bootstrap-servers",
                broker.bootstrapServers(), "--topics-prefix", PREFIX);
            CliRun show = CliRun.of("models", "show", "2", "--model", "basket", "--bootstrap-servers",
                broker.bootstrapServers(), "--topics-prefix", PREFIX);

            assertThat(list.exitCode()).as(list.err()).isZero();
            assertThat(list.out()).contains("mae").contains("rmse").contains("mae, rmse: prequential");
            assertThat(show.exitCode()).as(show.err()).isZero();
            assertThat(show.out()).contains("model spec:    basket v1 (" + spec)
                .contains("feature view baskets v3, label field 'label', task regression")
                .contains("since parent:  101 examples read, 100 learned, 1 left out (non_numeric_label 1)");
        }
    }
}
