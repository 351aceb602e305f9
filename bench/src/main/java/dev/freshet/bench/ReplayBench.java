package dev.freshet.bench;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.launcher.Freshet;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code freshet replay} of the 3-million-row flights file (origin airport as the entity) against a bare producer
 * sending the file's raw CSV lines with the same producer settings, in the same run.
 * Usage: {@code bench/run ReplayBench [FILE]}.
 */
public final class ReplayBench {
    private static final Path FLIGHTS = BenchReport.sharedData().resolve("flights-3m.csv.gz");

    private ReplayBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = args.length > 0 ? Path.of(args[0]) : FLIGHTS;
        if (!Files.exists(file)) {
            System.err.println("Skipped: " + file + " is absent (the shared flights data set is only on the "
                + "project's machines).");
            return;
        }
        BenchReport report = new BenchReport("ReplayBench", args);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
            BenchTopics.createOwn(clients, "bench.raw");
            BenchTopics.createOwn(clients, "bench.replay");
            long startNs = System.nanoTime();
            long rawRows = bareProducer(clients, file, "bench.raw");
            double rawSeconds = (System.nanoTime() - startNs) / 1e9;

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream console = System.out;
            int code;
            double replaySeconds;
            // The command prints its progress and summary on standard output, as `freshet replay` does for a user.
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                startNs = System.nanoTime();
                code = Freshet.execute("replay", file.toString(), "--topic", "bench.replay", "--bootstrap-servers",
                    broker.bootstrapServers(), "--time-column", "date", "--entity", "origin");
                replaySeconds = (System.nanoTime() - startNs) / 1e9;
            } finally {
                System.setOut(console);
            }
            if (code != 0) {
                throw new IllegalStateException("freshet replay failed (exit code " + code + "):\n"
                    + out.toString(StandardCharsets.UTF_8));
            }
            long written = endOffset(clients, "bench.replay");
            String[] lines = out.toString(StandardCharsets.UTF_8).split("\\R");
            double rawRate = rawRows / rawSeconds;
            double replayRate = written / replaySeconds;
            report.line("`freshet replay %s --time-column date --entity origin` (CSV, gzipped, %,d rows, sorted by "
                + "event time through the 100000-row reorder buffer, each row turned into a JSON object, keyed by "
                + "origin airport) against a bare KafkaProducer sending the same file's raw CSV lines keyed by "
                + "origin (same producer settings: acks=all, lz4, linger 20 ms, 256 KiB batches).",
                file.getFileName(), written);
            report.line("");
            report.line("| contender | rows | seconds | rows/s |");
            report.line("|---|---|---|---|");
            report.line("| bare producer, raw CSV lines | %,d | %.1f | %,.0f |", rawRows, rawSeconds, rawRate);
            report.line("| freshet replay | %,d | %.1f | %,.0f |", written, replaySeconds, replayRate);
            report.line("");
            report.line("**Ratio replay / bare producer: %.2fx.**", replayRate / rawRate);
            report.line("");
            report.line("Replay's own summary: `%s`", lines[lines.length - 1].trim());
        }
        report.write();
    }

    private static long bareProducer(KafkaClients clients, Path file, String topic) throws Exception {
        // The same settings freshet replay sends with.
        Map<String, Object> tuning = Map.of(ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG,
            256 * 1024, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        CheckedSends sends = new CheckedSends("the raw CSV lines");
        long rows = 0;
        try (KafkaProducer<String, byte[]> producer =
                 clients.idempotentProducer(null, tuning, new StringSerializer(), new ByteArraySerializer());
             BufferedReader reader = new BufferedReader(new InputStreamReader(
                 new GZIPInputStream(Files.newInputStream(file), 1 << 16), StandardCharsets.UTF_8), 1 << 16)) {
            String line = reader.readLine();
            while ((line = reader.readLine()) != null) {
                String[] cells = line.split(",", 5);
                sends.send(producer, new ProducerRecord<>(topic, cells[3], line.getBytes(StandardCharsets.UTF_8)));
                rows++;
            }
            sends.flushAndCheck(producer);
        }
        return rows;
    }

    private static long endOffset(KafkaClients clients, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = clients.committedReader(null, Map.of(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(partition)).get(partition);
        }
    }
}
