package dev.freshet.featurestore.internal.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each entity's recent feature vectors per view, by event time, and joins a label naming the entity and an
 * event time {@code L} with the features as they were then: per view, the newest vector whose event time is at or
 * before {@code L}. A vector's values depend only on events at or before its own event time, so nothing after
 * {@code L} can reach the example. Vectors older than the history's retention (behind the entity's newest one in
 * that view) are dropped, except the newest of them, which still answers labels between it and the next vector.
 * A label with no vector that old in any view is dead-lettered as {@code UNMATCHED_LABEL} with the reason.
 * Runs on the entity's partition of the by-entity repartition topics.
 */
final class FeatureHistoryJoinProcessor implements Processor<String, HistoryInput, String, Routed> {
    private static final Logger log = LoggerFactory.getLogger(FeatureHistoryJoinProcessor.class);

    private final TopicLayout topics;
    private final Counters counters;
    private final long historyMs;
    private ProcessorContext<String, Routed> context;
    private KeyValueStore<Bytes, byte[]> history;

    FeatureHistoryJoinProcessor(TopicLayout topics, Counters counters, long historyMs) {
        this.topics = topics;
        this.counters = counters;
        this.historyMs = historyMs;
    }

    @Override
    public void init(ProcessorContext<String, Routed> context) {
        this.context = context;
        this.history = context.getStateStore(FeatureStoreTopology.FEATURE_HISTORY_STORE);
    }

    @Override
    public void process(Record<String, HistoryInput> record) {
        if (record.value() instanceof FeatureRecord feature) {
            onFeatures(record.key(), feature);
        } else if (record.value() instanceof EntityLabel label) {
            onLabel(label, record.timestamp());
        }
    }

    private void onFeatures(String entityId, FeatureRecord feature) {
        if (feature.vector() == null) {
            // The entity expired in that view: its history goes with it.
            List<Bytes> all = new ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> it = history.prefixScan(prefix(entityId, feature.view()),
                    new BytesSerializer())) {
                it.forEachRemaining(kv -> all.add(kv.key));
            }
            all.forEach(history::delete);
            return;
        }
        long eventTimeMs;
        try {
            eventTimeMs = FeatureVector.parseFrom(feature.vector()).getEventTimeMs();
        } catch (InvalidProtocolBufferException e) {
            log.warn("Ignored a record of {} under view '{}' and entity '{}' that is not a FeatureVector.",
                topics.name(Topic.FEATURES), feature.view(), entityId);
            return;
        }
        history.put(key(entityId, feature.view(), eventTimeMs), feature.vector());
        List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = history.prefixScan(prefix(entityId, feature.view()),
                new BytesSerializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> next = it.next();
                if (timeOf(next.key) >= eventTimeMs - historyMs) {
                    break;
                }
                expired.add(next.key);
            }
        }
        // The newest vector before the cutoff still holds from its time to the next vector's.
        for (int i = 0; i < expired.size() - 1; i++) {
            history.delete(expired.get(i));
        }
    }

    private void onLabel(EntityLabel label, long timestamp) {
        Map<String, KeyValue<Long, byte[]>> asOf = new TreeMap<>();
        long oldestKept = Long.MAX_VALUE;
        try (KeyValueIterator<Bytes, byte[]> it = history.prefixScan(prefix(label.entityId()),
                new BytesSerializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> next = it.next();
                long time = timeOf(next.key);
                oldestKept = Math.min(oldestKept, time);
                // Keys of one view come in time order, so the last at or before L is the one.
                if (time <= label.eventTimeMs()) {
                    asOf.put(viewOf(next.key), KeyValue.pair(time, next.value));
                }
            }
        }
        if (asOf.isEmpty()) {
            unmatched(label, oldestKept == Long.MAX_VALUE
                ? "no feature vector of entity '" + label.entityId() + "' is kept (an entity never seen, expired, "
                    + "or seen only by views that are not running)"
                : "the oldest feature vector of entity '" + label.entityId() + "' kept is at event time "
                    + oldestKept + ", after the label's event time " + label.eventTimeMs()
                    + "; featurestore.feature.history.ms (" + historyMs + ") bounds how far back labels can reach");
            return;
        }
        TrainingExample.Builder example = TrainingExample.newBuilder()
            .setEntityId(label.entityId())
            .setLabel(label.label())
            .setPredictedAtMs(label.eventTimeMs())
            .setLabelArrivedAtMs(label.arrivedAtMs());
        for (KeyValue<Long, byte[]> vector : asOf.values()) {
            try {
                example.putAllFeatures(FeatureVector.parseFrom(vector.value).getValuesMap());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("A stored feature vector no longer parses", e);
            }
        }
        counters.trainingExamplesOut.increment();
        context.forward(new Record<>(label.entityId(),
            new Routed(topics.name(Topic.TRAINING_EXAMPLES), example.build().toByteArray()), timestamp));
    }

    private void unmatched(EntityLabel label, String why) {
        counters.deadLettered(DeadLetter.Reason.UNMATCHED_LABEL.name());
        log.debug("Dead-lettered the label of entity '{}' at event time {}: {}.", label.entityId(),
            label.eventTimeMs(), why);
        long now = context.currentSystemTimeMs();
        context.forward(new Record<>(label.entityId(), DeadLetters.of(topics, DeadLetter.Reason.UNMATCHED_LABEL,
            why, "event_time", "", topics.name(Topic.LABELS), label.sourcePartition(), label.sourceOffset(), label.raw(), now),
            now));
    }

    /** Entity, view, then the sign-flipped big-endian event time: byte order is time order within a view. */
    private static Bytes key(String entityId, String view, long eventTimeMs) {
        byte[] p = prefix(entityId, view).get();
        return Bytes.wrap(ByteBuffer.allocate(p.length + 8).put(p).putLong(eventTimeMs ^ Long.MIN_VALUE).array());
    }

    private static Bytes prefix(String entityId) {
        byte[] entity = entityId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(4 + entity.length).putInt(entity.length).put(entity).array());
    }

    private static Bytes prefix(String entityId, String view) {
        byte[] p = prefix(entityId).get();
        byte[] name = view.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(p.length + 4 + name.length).put(p).putInt(name.length).put(name)
            .array());
    }

    private static long timeOf(Bytes key) {
        byte[] k = key.get();
        return ByteBuffer.wrap(k, k.length - 8, 8).getLong() ^ Long.MIN_VALUE;
    }

    private static String viewOf(Bytes key) {
        ByteBuffer buffer = ByteBuffer.wrap(key.get());
        buffer.position(4 + buffer.getInt());
        byte[] name = new byte[buffer.getInt()];
        buffer.get(name);
        return new String(name, StandardCharsets.UTF_8);
    }
}
