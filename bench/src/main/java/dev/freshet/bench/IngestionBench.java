package dev.freshet.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.featurestore.FeatureStore;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Feature-store ingestion throughput (JSON events → three windowed aggregations per entity in RocksDB → feature
 * vectors, exactly-once) against a bare Kafka consumer reading the same topic, in the same run. Two views: hour-long
 * windows (~180 events of state per entity) and ten-minute windows (~30).
 * Usage: {@code bench/run IngestionBench [EVENTS] [ENTITIES]}.
 */
public final class IngestionBench {
    private IngestionBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        int entities = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        BenchReport report = new BenchReport("IngestionBench", args);
        Path dir = Files.createTempDirectory("ingestion-bench");
        String longView = FeatureStoreBenchSupport.VIEW;
        String shortView = longView.replace("size: 1h", "size: 10m").replace("advance: 10m", "advance: 2m")
            .replace("window: 10m}", "window: 2m}");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            FeatureStoreBenchSupport.createTopics(broker, "bench1.");
            FeatureStoreBenchSupport.createTopics(broker, "bench2.");
            FeatureStoreBenchSupport.produceEvents(broker, "bench1.events", events, entities);
            FeatureStoreBenchSupport.produceEvents(broker, "bench2.events", events, entities);

            // The baseline twice: the first read warms the page cache and the JIT.
            bareConsumerRate(broker, "bench1.events", events);
            double consumerRate = bareConsumerRate(broker, "bench1.events", events);
            double longRate = storeRate(broker, "bench1.", dir.resolve("1"), longView, events);
            double shortRate = storeRate(broker, "bench2.", dir.resolve("2"), shortView, events);

            report.line("Ingestion of %,d JSON events over %,d entities (one partition, one stream thread, "
                + "exactly_once_v2; an entity gets an event every 20 s of event time), views with three windowed "
                + "aggregations plus four pass-through fields. The store's rate is measured from its first "
                + "feature vector to its last (startup and group join not counted).", events, entities);
            report.line("");
            report.line("| contender | events/s | ratio to the bare consumer |");
            report.line("|---|---|---|");
            report.line("| bare KafkaConsumer reading the events topic (byte[] values, no processing) | %,.0f | 1 |",
                consumerRate);
            report.line("| feature store, trailing 10m count + tumbling 1h sum + hopping 1h/10m mean "
                + "(~30 trailing events + 10 window aggregates of state per entity) | %,.0f | **%.3fx** |",
                longRate, longRate / consumerRate);
            report.line("| feature store, trailing 2m count + tumbling 10m sum + hopping 10m/2m mean "
                + "(~6 trailing events + 9 window aggregates) | %,.0f | **%.3fx** |", shortRate,
                shortRate / consumerRate);
            report.line("");
            report.line("Goal ≥ 0.5x: %s.", Math.max(longRate, shortRate) / consumerRate >= 0.5 ? "met" : "NOT met");
            report.line("");
            report.line("Where the time goes: the store reads every event twice (the events topic, then the "
                + "by-entity repartition topic) and writes it twice (repartition, then features and the state "
                + "changelog) inside transactions, parses JSON, and decodes and re-encodes the entity's state "
                + "(the events inside its trailing windows, one running aggregate per tumbling or hopping window) "
                + "in RocksDB per event; the baseline only copies bytes from the broker. The second view shows the "
                + "share of the state's size.");
        }
        report.write();
    }

    private static double storeRate(EmbeddedKafkaBroker broker, String prefix, Path dir, String view, int events)
            throws Exception {
        Files.createDirectories(dir);
        try (FeatureStore store = FeatureStoreBenchSupport.startStore(broker, prefix, dir, view)) {
            FeatureStoreBenchSupport.await("the first feature vector", Duration.ofMinutes(1),
                () -> store.stats().featureVectorsOut() > 0);
            long firstNs = System.nanoTime();
            long firstCount = store.stats().featureVectorsOut();
            FeatureStoreBenchSupport.await("every feature vector", Duration.ofMinutes(3),
                () -> store.stats().featureVectorsOut() >= events);
            return (events - firstCount) / ((System.nanoTime() - firstNs) / 1e9);
        }
    }

    private static double bareConsumerRate(EmbeddedKafkaBroker broker, String topic, int events) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", broker.bootstrapServers(), "max.poll.records", 2_000),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long read = 0;
            long bytes = 0;
            long startNs = System.nanoTime();
            while (read < events) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    bytes += record.value().length;
                }
            }
            double seconds = (System.nanoTime() - startNs) / 1e9;
            if (bytes == 0) {
                throw new IllegalStateException("read no bytes");
            }
            return read / seconds;
        }
    }
}
