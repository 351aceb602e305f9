package dev.freshet.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.featurestore.FeatureStore;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.internal.streams.FeatureStoreTopology;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Online lookup latency of {@code FeatureStore.onlineFeatures} (RocksDB state store through Kafka Streams'
 * interactive queries, then the window arithmetic) against a raw RocksDB get of the same bytes, in the same run.
 * Usage: {@code bench/run LookupBench [ENTITIES] [LOOKUPS]}.
 */
public final class LookupBench {
    private LookupBench() {
    }

    public static void main(String[] args) throws Exception {
        int entities = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int lookups = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int events = entities * 10;
        BenchReport report = new BenchReport("LookupBench", args);
        Path dir = Files.createTempDirectory("lookup-bench");
        RocksDB.loadLibrary();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            TopicLayout layout = new TopicLayout("bench.");
            KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
            FeatureStoreBenchSupport.createTopics(broker, layout);
            FeatureStoreBenchSupport.produceEvents(broker, layout, events, entities);
            try (FeatureStore store = FeatureStoreBenchSupport.startStore(broker, layout, dir)) {
                FeatureStoreBenchSupport.await("every feature vector", Duration.ofMinutes(3),
                    () -> store.stats().featureVectorsOut() >= events);
                FeatureStoreBenchSupport.await("the store to be queryable", Duration.ofMinutes(1), () -> {
                    try {
                        return store.onlineFeatures("u-0").isPresent();
                    } catch (FeatureStoreException e) {
                        return false;
                    }
                });
                // The same bytes the store holds: the latest value per entity on its changelog.
                Map<String, byte[]> states = changelog(clients, entityStateChangelog(clients, layout), entities);
                int stateBytes = states.values().stream().mapToInt(b -> b.length).sum() / states.size();
                try (Options options = new Options().setCreateIfMissing(true);
                     RocksDB raw = RocksDB.open(options, dir.resolve("raw").toString())) {
                    for (Map.Entry<String, byte[]> e : states.entrySet()) {
                        raw.put(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8), e.getValue());
                    }
                    raw.flush(new org.rocksdb.FlushOptions().setWaitForFlush(true));
                    String[] keys = new String[lookups];
                    Random random = new Random(1);
                    for (int i = 0; i < lookups; i++) {
                        keys[i] = "u-" + random.nextInt(entities);
                    }
                    byte[][] rawKeys = Arrays.stream(keys)
                        .map(k -> k.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toArray(byte[][]::new);
                    // Warm both up, then measure them alternately in rounds so the machine's noise hits both.
                    measureStore(store, keys, lookups / 4);
                    measureRaw(raw, rawKeys, lookups / 4);
                    long[] storeNs = new long[0];
                    long[] rawNs = new long[0];
                    for (int round = 0; round < 4; round++) {
                        storeNs = concat(storeNs, measureStore(store, keys, lookups / 4));
                        rawNs = concat(rawNs, measureRaw(raw, rawKeys, lookups / 4));
                    }
                    Arrays.sort(storeNs);
                    Arrays.sort(rawNs);
                    report.line("Online lookups of %,d random entities out of %,d (each with ~10 events of state, "
                        + "%,d bytes on average), single thread, in-process.", storeNs.length, entities, stateBytes);
                    report.line("");
                    report.line("| contender | p50 µs | p99 µs | p99.9 µs |");
                    report.line("|---|---|---|---|");
                    row(report, "raw RocksDB get of the same bytes (rocksdbjni, default options)", rawNs);
                    row(report, "FeatureStore.onlineFeatures: interactive-query get, decode state, compute the "
                        + "view's features, build the FeatureVector", storeNs);
                    report.line("");
                    double p99 = percentile(storeNs, 0.99) / 1000.0;
                    report.line("**Ratio feature store / raw get: p50 %.1fx, p99 %.1fx.** Feature-store p99 = %.3f ms "
                        + "(goal < 1 ms: %s).", percentile(storeNs, 0.5) / (double) percentile(rawNs, 0.5),
                        percentile(storeNs, 0.99) / (double) percentile(rawNs, 0.99), p99 / 1000.0,
                        p99 < 1000.0 ? "met" : "NOT met");
                }
            }
        }
        report.write();
    }

    private static long[] measureStore(FeatureStore store, String[] keys, int n) {
        long[] ns = new long[n];
        long sink = 0;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            sink += store.onlineFeatures(keys[i]).orElseThrow().getValuesCount();
            ns[i] = System.nanoTime() - start;
        }
        if (sink == 0) {
            throw new IllegalStateException("no features");
        }
        return ns;
    }

    private static long[] measureRaw(RocksDB raw, byte[][] keys, int n) throws Exception {
        long[] ns = new long[n];
        long sink = 0;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            sink += raw.get(keys[i]).length;
            ns[i] = System.nanoTime() - start;
        }
        if (sink == 0) {
            throw new IllegalStateException("no bytes");
        }
        return ns;
    }

    /**
     * The changelog of the view's entity-state store. Kafka Streams names it after the view's application (one per
     * view version, under the feature store's id), so it is found among the topics rather than spelt here.
     */
    private static String entityStateChangelog(KafkaClients clients, TopicLayout layout) throws Exception {
        String application = layout.clientId("feature-store");
        String suffix = "-" + FeatureStoreTopology.ENTITY_STATE_STORE + "-changelog";
        Set<String> topics;
        try (Admin admin = clients.admin()) {
            topics = admin.listTopics().names().get();
        }
        List<String> changelogs = topics.stream().filter(t -> t.startsWith(application) && t.endsWith(suffix))
            .sorted().toList();
        if (changelogs.size() != 1) {
            throw new IllegalStateException("Expected one entity-state changelog of " + application + "*, found "
                + changelogs + " among " + topics);
        }
        return changelogs.get(0);
    }

    private static Map<String, byte[]> changelog(KafkaClients clients, String topic, int entities) {
        Map<String, byte[]> latest = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = clients.committedReader(null,
                Map.of("max.poll.records", 5_000), new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(record.key(), record.value());
                }
            }
        }
        if (latest.size() != entities) {
            throw new IllegalStateException("the changelog holds " + latest.size() + " entities, not " + entities);
        }
        return latest;
    }

    private static void row(BenchReport report, String name, long[] sorted) {
        report.line("| %s | %.1f | %.1f | %.1f |", name, percentile(sorted, 0.5) / 1000.0,
            percentile(sorted, 0.99) / 1000.0, percentile(sorted, 0.999) / 1000.0);
    }

    private static long percentile(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
