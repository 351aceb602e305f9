package dev.freshet.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.testing.RegistryCost;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How big the registry grows and what reading it at start-up costs, after 100 and after 10,000 published versions,
 * with retention (trainer.registry.retained.versions = 100: tombstones for versions leaving the window, the
 * checkpoint on the newest version only) against the layout before it (every version with its checkpoint, nothing
 * deleted), both in this run on one embedded broker. The records are the trainer's own ({@link RegistryCost}: its
 * session prepares each version), sent by a checked producer; after each stage the broker's cleaner gets time to
 * compact, then the bench measures the topics' bytes on disk, a reader that reads the registry as serving does
 * (models and schemas from the beginning, every record parsed) and a trainer's restore (the same read feeding the
 * trainer's session, then its restore from the newest checkpoint).
 *
 * <p>Usage: {@code bench/run RegistryBench [FEATURES [STAGES]]} (defaults 2000 and 100,10000: the old layout writes every checkpoint in full,
 * some 90 bytes a feature, so 10,000 versions at 100k features would be 90 GB).
 */
public final class RegistryBench {
    private static final int RETAINED = TrainerConfig.REGISTRY_RETAINED_VERSIONS_DEFAULT;
    private static final int PER_EXAMPLE = 50;
    private static final int EXAMPLES_PER_VERSION = 5;
    private static final int BROKER_ID = 1;
    /** The broker's cleaner looks for work every 15 s (log.cleaner.backoff.ms): a size unchanged for longer is settled. */
    private static final Duration SETTLED_AFTER = Duration.ofSeconds(20);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(300);

    private RegistryBench() {
    }

    private record Layout(String name, boolean legacy) {
    }

    private record Read(long records, long bytes, long nanos, long versions) {
    }

    public static void main(String[] args) throws Exception {
        int features = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int[] stages = args.length > 1 ? java.util.Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt)
            .toArray() : new int[] {100, 10_000};
        BenchReport report = new BenchReport("RegistryBench", args);
        List<String> rows = new ArrayList<>();
        long start = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
            for (Layout layout : List.of(new Layout("retained " + RETAINED, false),
                    new Layout("old (unbounded)", true))) {
                rows.addAll(run(clients, layout, features, stages));
            }
        }
        report.line("Model of %d one-hot features (%d per example), 2 labels, AdaGrad, packed form; %d examples "
            + "learned per version; one partition.", features, PER_EXAMPLE, EXAMPLES_PER_VERSION);
        report.line("Topics as the platform creates them (Topic.MODELS settings), except segment.bytes = 1 MiB so "
            + "that the cleaner reaches all but the last MiB at this size; sizes after the broker's cleaner had "
            + "left them unchanged for %d s.", SETTLED_AFTER.toSeconds());
        report.line("");
        report.line("| layout | versions | bytes sent | on disk (models + schemas) | records read | bytes read "
            + "| serving-like read | trainer restore | restored from | examples learned |");
        report.line("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        rows.forEach(report::line);
        report.line("");
        report.line("Total run time %.0f s.", (System.nanoTime() - start) / 1e9);
        System.out.println("Wrote " + report.write());
    }

    private static List<String> run(KafkaClients clients, Layout layout, int features, int[] stages)
            throws Exception {
        TopicLayout topics = new TopicLayout("rb-" + (layout.legacy() ? "old" : "retained") + ".");
        String models = topics.name(Topic.MODELS);
        String schemas = topics.name(Topic.MODEL_SCHEMAS);
        createTopics(clients, topics);
        RegistryCost cost = new RegistryCost(features, PER_EXAMPLE, RETAINED, layout.legacy());
        List<String> rows = new ArrayList<>();
        CheckedSends sends = new CheckedSends("the registry records of " + layout.name());
        long bytesSent = 0;
        long published = 0;
        try (KafkaProducer<String, byte[]> producer = clients.idempotentProducer(null,
                Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, KafkaClients.MODEL_RECORD_MAX_BYTES,
                    ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
            for (int stage : stages) {
                while (published < stage) {
                    published++;
                    for (RegistryCost.Record r : cost.publish(EXAMPLES_PER_VERSION, published)) {
                        bytesSent += r.key().length() + (r.value() == null ? 0 : r.value().length);
                        sends.send(producer, new ProducerRecord<>(r.schema() ? schemas : models, r.key(), r.value()));
                    }
                }
                sends.flushAndCheck(producer);
                long onDisk = settledSize(clients, Set.of(models, schemas));
                Read read = read(clients, models, schemas, null);
                RegistryCost.Restore restore = new RegistryCost.Restore();
                Read restoreRead = read(clients, models, schemas, restore);
                long restoreStart = System.nanoTime();
                long[] restored = restore.restore();
                long restoreNanos = restoreRead.nanos() + System.nanoTime() - restoreStart;
                if (restored[0] != published) {
                    throw new IllegalStateException(layout.name() + ": the trainer restored v" + restored[0]
                        + " but v" + published + " is the newest");
                }
                if (read.versions() != Math.min(published, layout.legacy() ? Long.MAX_VALUE : RETAINED)) {
                    System.out.printf("Note: %s holds %d versions after %d published.%n", layout.name(),
                        read.versions(), published);
                }
                rows.add(String.format(java.util.Locale.ROOT,
                    "| %s | %,d | %s | %s | %,d | %s | %.2f s | %.2f s | v%d | %,d |", layout.name(), published,
                    mib(bytesSent), mib(onDisk), read.records(), mib(read.bytes()), read.nanos() / 1e9,
                    restoreNanos / 1e9, restored[0], restored[1]));
                System.out.println(rows.get(rows.size() - 1));
            }
        }
        return rows;
    }

    private static void createTopics(KafkaClients clients, TopicLayout topics) throws Exception {
        List<NewTopic> created = new ArrayList<>();
        for (Topic topic : List.of(Topic.MODELS, Topic.MODEL_SCHEMAS)) {
            Map<String, String> configs = new HashMap<>(topic.configs());
            // 1 MiB is the smallest segment the broker takes; the active segment is never compacted.
            configs.put(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(1024 * 1024));
            created.add(new NewTopic(topics.name(topic), 1, (short) 1).configs(configs));
        }
        try (Admin admin = clients.admin()) {
            admin.createTopics(created).all().get();
            TopicLayout.awaitWritable(admin, created.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
        }
    }

    /** The topics' bytes on the broker's disk once the cleaner has left them unchanged for {@link #SETTLED_AFTER}. */
    private static long settledSize(KafkaClients clients, Set<String> topics) throws Exception {
        try (Admin admin = clients.admin()) {
            long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
            long size = sizeOnDisk(admin, topics);
            long unchangedSince = System.nanoTime();
            while (System.nanoTime() - unchangedSince < SETTLED_AFTER.toNanos() && System.nanoTime() < deadline) {
                Thread.sleep(1_000);
                long now = sizeOnDisk(admin, topics);
                if (now != size) {
                    size = now;
                    unchangedSince = System.nanoTime();
                }
            }
            return size;
        }
    }

    private static long sizeOnDisk(Admin admin, Set<String> topics) throws Exception {
        long total = 0;
        Map<String, LogDirDescription> dirs = admin.describeLogDirs(List.of(BROKER_ID)).allDescriptions().get()
            .get(BROKER_ID);
        for (LogDirDescription dir : dirs.values()) {
            for (Map.Entry<TopicPartition, ReplicaInfo> replica : dir.replicaInfos().entrySet()) {
                if (topics.contains(replica.getKey().topic())) {
                    total += replica.getValue().size();
                }
            }
        }
        return total;
    }

    /**
     * Reads models and schemas from the beginning to their ends, read_committed, parsing every version as serving
     * does (or feeding a trainer's restore when {@code restore} is not null).
     */
    private static Read read(KafkaClients clients, String models, String schemas, RegistryCost.Restore restore)
            throws Exception {
        long start = System.nanoTime();
        long records = 0;
        long bytes = 0;
        Set<Long> versions = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = clients.committedReader(null, Map.of(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, KafkaClients.MODEL_RECORD_MAX_BYTES),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = List.of(new TopicPartition(models, 0), new TopicPartition(schemas, 0));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + partitions + " within " + READ_TIMEOUT);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    records++;
                    bytes += r.serializedKeySize() + Math.max(0, r.serializedValueSize());
                    boolean schema = r.topic().equals(schemas);
                    if (restore != null) {
                        restore.read(schema, r.key(), r.value());
                    } else if (!schema && r.value() != null) {
                        versions.add(ModelVersion.parseFrom(r.value()).getVersion());
                    } else if (!schema) {
                        versions.remove(Long.parseLong(r.key().substring(r.key().indexOf('/') + 1)));
                    }
                }
            }
        }
        return new Read(records, bytes, System.nanoTime() - start, versions.size());
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
