package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.launcher.internal.ReplayCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code freshet replay} into a real broker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ELEC2 = Path.of("../../shared/data/elecNormNew.arff");
    private static final long T0 = 1_700_000_000_000L;

    private EmbeddedKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("replay.small", 1, (short) 1),
                new NewTopic("replay.elec2", 1, (short) 1),
                // The broker refuses any record of this topic: a real refusal, RecordTooLargeException.
                new NewTopic("replay.refused", 1, (short) 1).configs(Map.of("max.message.bytes", "16"))))
                .all().get();
        }
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void writesAShuffledGzippedCsvInEventTimeOrderKeyedByTheEntity() throws Exception {
        // 500 rows, each at most 20 rows away from its place in time order.
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            lines.add((T0 + i * 1000L) + ",u-" + (i % 7) + "," + i);
        }
        Random random = new Random(5);
        for (int i = 0; i + 20 < lines.size(); i += 20) {
            Collections.shuffle(lines.subList(i, i + 20), random);
        }
        Path file = dir.resolve("events.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(("event_time,entity_id,amount\n" + String.join("\n", lines) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        }

        String output = replay(file.toString(), "--topic", "replay.small", "--entity", "entity_id",
            "--reorder-buffer", "50");

        List<ConsumerRecord<String, String>> records = consume("replay.small", 500);
        List<Long> times = new ArrayList<>();
        for (ConsumerRecord<String, String> record : records) {
            JsonNode event = JSON.readTree(record.value());
            times.add(event.get("event_time").longValue());
            assertThat(record.key()).isEqualTo(event.get("entity_id").textValue());
        }
        assertThat(times).isSorted().hasSize(500).first().isEqualTo(T0);
        assertThat(output).contains("Replayed 500 rows from events.csv.gz to replay.small")
            .contains("Kafka confirmed 500 of the 500 rows sent.")
            .doesNotContain("out of time order").contains("100.0%");
    }

    @Test
    void saysHowManyRowsKafkaConfirmedAndExitsOneWhenItRefusesThem() throws Exception {
        Path file = Files.writeString(dir.resolve("refused.csv"),
            "event_time,entity_id,amount\n" + T0 + ",u-1,1\n" + (T0 + 1000) + ",u-2,2\n");

        CliRun run = CliRun.of("replay", file.toString(), "--topic", "replay.refused", "--entity", "entity_id",
            "--bootstrap-servers", broker.bootstrapServers());

        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.err().lines().filter(l -> l.startsWith("freshet:"))).singleElement().satisfies(line ->
            assertThat(line).startsWith("freshet: Writing refused.csv to replay.refused failed: ")
                .containsPattern("\\d sent, 0 confirmed, \\d failed \\(first: RecordTooLargeException: "));
        assertThat(run.out()).doesNotContain("Replayed");
    }

    @Test
    void replaysElec2WithHalfHourlySyntheticTimes() throws Exception {
        assumeTrue(Files.exists(ELEC2), "Skipped: " + ELEC2.toAbsolutePath() + " is absent (the shared Elec2 data set "
            + "is only on the project's machines).");

        String output = replay(ELEC2.toString(), "--topic", "replay.elec2", "--start", "1996-05-07T00:00:00Z",
            "--step", "30m", "--entity", "day");

        List<ConsumerRecord<String, String>> records = consume("replay.elec2", 45_312);
        JsonNode last = JSON.readTree(records.get(records.size() - 1).value());
        assertThat(last.get("event_time").longValue())
            .isEqualTo(java.time.Instant.parse("1996-05-07T00:00:00Z").toEpochMilli() + 45_311L * 1_800_000);
        assertThat(last.get("class").textValue()).isIn("UP", "DOWN");
        assertThat(output).contains("Replayed 45,312 rows from elecNormNew.arff");
    }

    private String replay(String... args) {
        StringWriter out = new StringWriter();
        CommandLine commandLine = new CommandLine(new ReplayCommand());
        commandLine.setOut(new PrintWriter(out));
        List<String> all = new ArrayList<>(List.of("--bootstrap-servers", broker.bootstrapServers()));
        all.addAll(List.of(args));
        int code = commandLine.execute(all.toArray(String[]::new));
        assertThat(code).as("exit code; output:%n%s", out).isZero();
        return out.toString();
    }

    private List<ConsumerRecord<String, String>> consume(String topic, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", broker.bootstrapServers(), "max.poll.records", 5000),
                new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).hasSize(expected);
        return records;
    }
}
