package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code freshet models retrain|reset|pause|resume} against a real trainer: each waits for and prints the ack. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelControlCommandIT {
    private static final String PREFIX = "control-it.";
    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of("training-examples", "models", "commands", "command-acks").stream()
                .map(s -> new NewTopic(PREFIX + s, 1, (short) 1)).toList()).all().get();
        }
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    private CliRun control(String verb, String... more) {
        return controlModel(verb, "default", more);
    }

    private CliRun controlModel(String verb, String model, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("models", verb, model, "--reason", "cli test",
            "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", PREFIX));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void eachVerbPrintsTheTrainersAcknowledgement() throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("topics.prefix", PREFIX);
        props.put("trainer.publish.every.examples", 50);
        try (Trainer trainer = Trainer.start(props);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                 Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                 new ByteArraySerializer())) {
            Random random = new Random(3);
            for (int i = 0; i < 100; i++) {
                double x = random.nextGaussian();
                producer.send(new ProducerRecord<>(PREFIX + "training-examples", "u", TrainingExample.newBuilder()
                    .setRequestId("r-" + i).putFeatures("x", x).setLabel(x > 0 ? "1" : "0").setLabelArrivedAtMs(i)
                    .build().toByteArray()));
            }
            producer.flush();

            CliRun pause = control("pause");
            CliRun resume = control("resume");
            CliRun retrain = control("retrain");
            CliRun reset = control("reset");

            assertThat(pause.exitCode()).as(pause.err()).isZero();
            assertThat(pause.out()).contains("Sent PAUSE for model 'default'").contains("PAUSE OK: paused");
            assertThat(resume.exitCode()).as(resume.err()).isZero();
            assertThat(resume.out()).contains("RESUME OK: resumed");
            assertThat(retrain.out()).containsPattern("RETRAIN (OK: published v\\d+|REFUSED: no examples)");
            assertThat(reset.exitCode()).as(reset.err()).isZero();
            assertThat(reset.out()).contains("RESET OK: the learning state is fresh");
        }
    }

    @Test
    void withoutATrainerItTimesOutSayingWhatToCheck() {
        CliRun run = controlModel("pause", "unattended", "--timeout", "2s", "--issued-by", "ops:alice");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("No acknowledgement of command op-")
            .contains("is a trainer for model 'unattended' running");
    }
}
