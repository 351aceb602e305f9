package dev.freshet.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import java.util.concurrent.ExecutionException;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the loop's topics as a downstream reader would (read_committed, from the beginning to the end offsets of
 * the moment) and decodes what the chaos audit compares. Stateless between reads.
 */
final class ChaosAudit {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaClients clients;
    private final TopicLayout topics;

    ChaosAudit(KafkaClients clients, TopicLayout topics) {
        this.clients = clients;
        this.topics = topics;
    }

    /** A record read: where it was and its raw key and value. */
    record Read(int partition, long offset, String key, byte[] value) {
    }

    /** The end offsets (last stable offsets, under read_committed) of the given topics, per partition. */
    Map<TopicPartition, Long> endOffsets(Topic... which) {
        try (KafkaConsumer<String, byte[]> consumer = reader()) {
            return consumer.endOffsets(partitions(consumer, which));
        }
    }

    /**
     * The consumer groups of the loop that have not yet committed up to the end of a partition they read, as
     * {@code group topic-partition committed/end}. A gap of one is taken as caught up: a transaction's commit marker
     * takes an offset after the last record, and a reader that has not fetched it yet has still read every record.
     */
    List<String> laggingGroups() throws InterruptedException, ExecutionException {
        List<String> lagging = new ArrayList<>();
        try (Admin admin = clients.admin(); KafkaConsumer<String, byte[]> consumer = reader()) {
            for (GroupListing group : admin.listGroups().all().get()) {
                if (!group.groupId().startsWith(topics.prefix())) {
                    continue;
                }
                Map<TopicPartition, OffsetAndMetadata> committed = admin
                    .listConsumerGroupOffsets(group.groupId()).partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, Long> ends = consumer.endOffsets(committed.keySet());
                committed.forEach((p, o) -> {
                    long end = ends.getOrDefault(p, 0L);
                    if (o != null && end - o.offset() > 1) {
                        lagging.add(group.groupId() + " " + p + " " + o.offset() + "/" + end);
                    }
                });
            }
        }
        return lagging;
    }

    /** Every committed record of {@code topic} from {@code from} (per partition; absent: the beginning). */
    List<Read> readAll(Topic topic, Map<Integer, Long> from) {
        List<Read> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = reader()) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            for (TopicPartition p : partitions) {
                consumer.seek(p, from.getOrDefault(p.partition(), 0L));
            }
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Could not read " + topics.name(topic) + " to its end offsets "
                        + end + " within " + READ_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(new Read(r.partition(), r.offset(), r.key(), r.value()));
                }
            }
        }
        return out;
    }

    List<Read> readAll(Topic topic) {
        return readAll(topic, Map.of());
    }

    List<FeatureVector> featureVectors(List<Read> reads) {
        List<FeatureVector> out = new ArrayList<>();
        for (Read r : reads) {
            if (r.value() != null) {
                out.add(parse(() -> FeatureVector.parseFrom(r.value()), r));
            }
        }
        return out;
    }

    List<PredictionLogEntry> predictions(List<Read> reads) {
        List<PredictionLogEntry> out = new ArrayList<>();
        for (Read r : reads) {
            out.add(parse(() -> PredictionLogEntry.parseFrom(r.value()), r));
        }
        return out;
    }

    /** Training examples with where they were: the lineage check counts them between offsets. */
    record Example(int partition, long offset, TrainingExample example) {
    }

    List<Example> examples(List<Read> reads) {
        List<Example> out = new ArrayList<>();
        for (Read r : reads) {
            out.add(new Example(r.partition(), r.offset(), parse(() -> TrainingExample.parseFrom(r.value()), r)));
        }
        return out;
    }

    List<DeadLetter> deadLetters(List<Read> reads) {
        List<DeadLetter> out = new ArrayList<>();
        for (Read r : reads) {
            out.add(parse(() -> DeadLetter.parseFrom(r.value()), r));
        }
        return out;
    }

    /** The model's versions in the order published; a compacted topic's tombstones are left out. */
    List<ModelVersion> versions(List<Read> reads, String model) {
        List<ModelVersion> out = new ArrayList<>();
        for (Read r : reads) {
            if (r.value() != null && r.key() != null && r.key().startsWith(model + "/")) {
                out.add(parse(() -> ModelVersion.parseFrom(r.value()), r));
            }
        }
        return out;
    }

    /** The version numbers of the model the trainer deleted (tombstones: the registry keeps the newest only). */
    Set<Long> deletedVersions(List<Read> reads, String model) {
        Set<Long> out = new HashSet<>();
        for (Read r : reads) {
            if (r.value() == null && r.key() != null && r.key().startsWith(model + "/")) {
                out.add(Long.parseLong(r.key().substring(model.length() + 1)));
            }
        }
        return out;
    }

    /** Committed training examples at offsets [from, to) per partition. */
    static long examplesBetween(Map<Integer, long[]> offsetsByPartition, Map<Integer, Long> from,
                                Map<Integer, Long> to) {
        long count = 0;
        for (Map.Entry<Integer, Long> end : to.entrySet()) {
            long[] offsets = offsetsByPartition.getOrDefault(end.getKey(), new long[0]);
            long start = from.getOrDefault(end.getKey(), 0L);
            count += lowerBound(offsets, end.getValue()) - lowerBound(offsets, start);
        }
        return count;
    }

    static Map<Integer, long[]> offsetsByPartition(List<Example> examples) {
        Map<Integer, List<Long>> lists = new TreeMap<>();
        examples.forEach(e -> lists.computeIfAbsent(e.partition(), p -> new ArrayList<>()).add(e.offset()));
        Map<Integer, long[]> out = new HashMap<>();
        lists.forEach((p, l) -> {
            long[] a = l.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(a);
            out.put(p, a);
        });
        return out;
    }

    private static int lowerBound(long[] sorted, long value) {
        int i = Arrays.binarySearch(sorted, value);
        if (i < 0) {
            return -i - 1;
        }
        while (i > 0 && sorted[i - 1] == value) {
            i--;
        }
        return i;
    }

    private KafkaConsumer<String, byte[]> reader() {
        return clients.committedReader(null, Map.of(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, Topic... which) {
        List<TopicPartition> out = new ArrayList<>();
        for (Topic topic : which) {
            String name = topics.name(topic);
            List<PartitionInfo> infos = consumer.partitionsFor(name, Duration.ofSeconds(30));
            for (PartitionInfo info : infos) {
                out.add(new TopicPartition(name, info.partition()));
            }
        }
        return out;
    }

    @FunctionalInterface
    private interface Parser<T> {
        T parse() throws InvalidProtocolBufferException;
    }

    private <T> T parse(Parser<T> parser, Read r) {
        try {
            return parser.parse();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("Record " + r.partition() + "@" + r.offset() + " is not what its topic "
                + "holds: " + e.getMessage(), e);
        }
    }
}
