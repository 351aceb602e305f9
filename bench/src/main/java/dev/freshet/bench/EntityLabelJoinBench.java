package dev.freshet.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.featurestore.FeatureStore;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Labels by entity and event time joined per second on a single-entity daily series (the shape of a replayed
 * weather or electricity file), through the real feature store on the embedded broker: the series' feature vectors
 * go to the features topic, then labels naming random days of the series to the labels topic; the clock runs from
 * the first label sent until the store has written every example. Run with the feature store of another commit
 * first on the classpath to measure that commit the same way.
 *
 * <p>Arguments: the series lengths (default {@code 1000,10000}) and the labels per series (default 2000).
 */
public final class EntityLabelJoinBench {
    private static final long T0 = 1_000_000_000_000L;
    private static final long DAY = 86_400_000L;

    private EntityLabelJoinBench() {
    }

    public static void main(String[] args) throws Exception {
        int[] lengths = java.util.Arrays.stream((args.length > 0 ? args[0] : "1000,10000").split(","))
            .mapToInt(Integer::parseInt).toArray();
        int labels = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        BenchReport report = new BenchReport("EntityLabelJoinBench", args);
        report.line("Labels by entity and event time on one entity's daily series: %d labels naming random days, "
            + "through FeatureStore on the embedded broker (exactly-once, default commit interval), "
            + "featurestore.feature.history.ms covering the whole series.", labels).line("");
        report.line("| series length (vectors kept) | labels | seconds | labels/s |").line("|---|---|---|---|");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            for (int length : lengths) {
                double seconds = run(broker, length, labels);
                report.line("| %d | %d | %.1f | %.0f |", length, labels, seconds, labels / seconds);
            }
        }
        report.write();
    }

    /** @return the seconds from the first label sent to the last example written */
    private static double run(EmbeddedKafkaBroker broker, int length, int labels) throws Exception {
        TopicLayout layout = new TopicLayout("bench-" + length + ".");
        FeatureStoreBenchSupport.createTopics(broker, layout);
        KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
        Path dir = Files.createTempDirectory("entity-label-bench");
        try (KafkaProducer<String, byte[]> producer = clients.idempotentProducer(null,
                 Map.of("linger.ms", 5, "batch.size", 256 * 1024), new StringSerializer(), new ByteArraySerializer());
             FeatureStore store = FeatureStoreBenchSupport.startStore(broker, layout, dir,
                 FeatureStoreBenchSupport.VIEW, Map.of(FeatureStoreConfig.FEATURE_HISTORY_MS_CONFIG,
                     Long.toString((length + 10) * DAY)))) {
            CheckedSends vectors = new CheckedSends("the series' vectors");
            for (int i = 0; i < length; i++) {
                FeatureVector vector = FeatureVector.newBuilder().setView("bench").setViewVersion(1)
                    .setEntityId("station").setEventTimeMs(T0 + i * DAY).putValues("day", i)
                    .putValues("temp", 10 + (i % 30)).putValues("rain=yes", 1.0).build();
                vectors.send(producer, new ProducerRecord<>(layout.name(Topic.FEATURES), "bench/station",
                    vector.toByteArray()));
            }
            vectors.flushAndCheck(producer);
            awaitHistoryLoaded(clients, layout, producer, length);
            long examplesBefore = store.stats().trainingExamplesOut();
            Random random = new Random(length);
            CheckedSends sends = new CheckedSends("the labels");
            long start = System.nanoTime();
            for (int i = 0; i < labels; i++) {
                long day = random.nextInt(length);
                // Within the day, except on the last: a time after the newest vector would wait for the next one.
                long within = day < length - 1 ? random.nextInt((int) DAY) : 0;
                sends.send(producer, label(layout, T0 + day * DAY + within, "c" + (day % 3)));
            }
            sends.flushAndCheck(producer);
            FeatureStoreBenchSupport.await("every label's example", Duration.ofMinutes(30),
                () -> store.stats().trainingExamplesOut() >= examplesBefore + labels);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static ProducerRecord<String, byte[]> label(TopicLayout layout, long eventTimeMs, String label) {
        String json = String.format(Locale.ROOT, "{\"entity_id\":\"station\",\"event_time\":%d,\"label\":\"%s\"}",
            eventTimeMs, label);
        return new ProducerRecord<>(layout.name(Topic.LABELS), "station", json.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends probe labels at the last day until one joins the last vector: the whole series is in the history. */
    private static void awaitHistoryLoaded(KafkaClients clients, TopicLayout layout,
            KafkaProducer<String, byte[]> producer, int length) throws Exception {
        long lastDay = T0 + (length - 1) * DAY;
        try (KafkaConsumer<String, byte[]> examples = clients.groupReader("entity-label-bench-" + length, false,
                Map.of("auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            examples.subscribe(List.of(layout.name(Topic.TRAINING_EXAMPLES)));
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (System.nanoTime() < deadline) {
                producer.send(label(layout, lastDay, "probe")).get();
                long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < until) {
                    for (ConsumerRecord<String, byte[]> record : examples.poll(Duration.ofMillis(200))) {
                        TrainingExample example = TrainingExample.parseFrom(record.value());
                        if (example.getFeaturesOrDefault("day", -1) == length - 1) {
                            return;
                        }
                    }
                }
            }
            throw new IllegalStateException("The series of " + length + " vectors did not reach the history");
        }
    }
}
