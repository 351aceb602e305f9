package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
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
import org.junit.jupiter.api.io.TempDir;

/** {@code freshet report} and {@code freshet actions} against a broker holding a small loop's topics. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportCommandIT {
    private static final String PREFIX = "report-it.";
    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void topics() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of("training-examples", "predictions", "models", "commands").stream()
                .map(s -> new NewTopic(PREFIX + s, 1, (short) 1)).toList()).all().get();
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(PREFIX + "models", "default/1", ModelVersion.newBuilder()
                .setModel("default").setVersion(1).setOrigin(ModelVersion.Origin.ONLINE).setPublishedAtMs(1000)
                .build().toByteArray()));
            producer.send(new ProducerRecord<>(PREFIX + "commands", "default", Command.newBuilder()
                .setCommandId("c-1").setType(Command.Type.ROLLBACK).setModel("default").setTargetVersion(1)
                .setRestoreVersion(0).setReason("v1 accuracy 0.10 vs v0 0.90").putEvidence("z", 9.5)
                .setIssuedBy("monitor").setIssuedAtMs(2000).build().toByteArray()));
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(PREFIX + "training-examples", "u-1", TrainingExample.newBuilder()
                    .setRequestId("r-" + i).setModel("default").setModelVersion(1).setLabel(i % 4 == 0 ? "0" : "1")
                    .setPredictedLabel("1").putClassProbabilities("1", 0.8).putFeatures("amount", i)
                    .setPredictedAtMs(1000 + 100L * i).setLabelArrivedAtMs(1500 + 100L * i).build().toByteArray()));
            }
            producer.flush();
        }
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    @Test
    void reportWritesTheHtmlPageAndTheJson(@TempDir Path dir) throws Exception {
        Path html = dir.resolve("out/report.html");

        CliRun r = CliRun.of("report", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", PREFIX,
            "--html", html.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Report written to");
        assertThat(Files.readString(html)).contains("<svg class=\"chart\" id=\"chart-accuracy\"", "ROLLBACK", "v1 accuracy 0.10 vs v0 0.90");
        assertThat(new ObjectMapper().readTree(dir.resolve("out/report.json").toFile()).get("actions")).hasSize(1);
    }

    @Test
    void actionsListsEachWithReasonAndFigures() {
        CliRun r = CliRun.of("actions", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("1 action(s) for model 'default'", "ROLLBACK", "v1 -> v0",
            "reason:  v1 accuracy 0.10 vs v0 0.90", "figures: z=9.5000");
    }

    @Test
    void aWrongPrefixIsReportedWithoutAStackTrace() {
        CliRun r = CliRun.of("actions", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", "nope.",
            "--timeout", "3s");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Topic nope.models does not exist").doesNotContain("at dev.freshet");
    }
}
