package dev.freshet.featurestore.internal.streams;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.internal.streams.FeatureHistory.ViewAsOf;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.featurestore.internal.view.TimeMath;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
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
 * Keeps each entity's recent feature vectors per view, by event time ({@link FeatureHistory}), and joins a label
 * naming the entity and an event time {@code L} with the features as they were then. The point-in-time rule: per
 * view, the newest vector whose event time is at or before {@code L}; a vector at {@code L} itself is the one its
 * event produced. A vector's values depend only on events at or before its own event time, so nothing after
 * {@code L} can reach the example.
 *
 * <p>A label is joined once the entity's features have reached {@code L}: once some view holds a vector of the
 * entity at or after {@code L}. Until then (its event's vector has not arrived yet) it waits in a store, never
 * joining an older vector, for at most {@code featurestore.label.wait.ms} of record time (the newest credible
 * record timestamp this task has read, as in the request-id join); a label still waiting then is dead-lettered as
 * {@code LABEL_BEFORE_FEATURES}, or as {@code UNMATCHED_LABEL} when the entity has no vector at all. A label older
 * than every kept vector is dead-lettered as {@code UNMATCHED_LABEL} at once. Vectors older than the history's
 * retention (behind the entity's newest one in that view) are dropped, except the newest of them, which still
 * answers labels between it and the next vector. Runs on the entity's partition of the by-entity repartition topics.
 */
final class FeatureHistoryJoinProcessor implements Processor<String, HistoryInput, String, Routed> {
    private static final Logger log = LoggerFactory.getLogger(FeatureHistoryJoinProcessor.class);
    private static final int EXPIRY_BATCH = 10_000;

    private final TopicLayout topics;
    private final Counters counters;
    private final long historyMs;
    private final long labelWaitMs;
    private final long expiryIntervalMs;
    private ProcessorContext<String, Routed> context;
    private RecordLimits limits;
    private FeatureHistory history;
    private KeyValueStore<Bytes, byte[]> pending;
    private KeyValueStore<Bytes, byte[]> expiry;
    private long joinTimeMs = Long.MIN_VALUE;
    private long nextExpiryMs = Long.MIN_VALUE;

    FeatureHistoryJoinProcessor(TopicLayout topics, Counters counters, long historyMs, long labelWaitMs) {
        this.topics = topics;
        this.counters = counters;
        this.historyMs = historyMs;
        this.labelWaitMs = labelWaitMs;
        this.expiryIntervalMs = Math.max(1, Math.min(5_000, labelWaitMs / 10));
    }

    @Override
    public void init(ProcessorContext<String, Routed> context) {
        this.context = context;
        this.history = new FeatureHistory(context.getStateStore(FeatureStoreTopology.FEATURE_HISTORY_STORE));
        this.pending = context.getStateStore(FeatureStoreTopology.HISTORY_PENDING_LABELS_STORE);
        this.expiry = context.getStateStore(FeatureStoreTopology.HISTORY_LABEL_EXPIRY_STORE);
        this.limits = RecordLimits.fromAppConfigs(context.appConfigs());
    }

    @Override
    public void process(Record<String, HistoryInput> record) {
        long arrivedAtMs = advanceJoinTime(record.timestamp());
        if (joinTimeMs != Long.MIN_VALUE && joinTimeMs >= nextExpiryMs) {
            expire(joinTimeMs);
            nextExpiryMs = TimeMath.plus(joinTimeMs, expiryIntervalMs);
        }
        if (record.value() instanceof FeatureRecord feature) {
            onFeatures(record.key(), feature, record.timestamp());
        } else if (record.value() instanceof EntityLabel label) {
            onLabel(label, record.timestamp(), arrivedAtMs);
        }
    }

    /** As the request-id join: the newest credible record timestamp; an incredible one does not move it. */
    private long advanceJoinTime(long timestampMs) {
        long wallClockMs = context.currentSystemTimeMs();
        if (timestampMs >= 0 && timestampMs <= limits.latestCredibleMs(wallClockMs)) {
            joinTimeMs = Math.max(joinTimeMs, timestampMs);
            return joinTimeMs;
        }
        return joinTimeMs == Long.MIN_VALUE ? wallClockMs : joinTimeMs;
    }

    private void onFeatures(String entityId, FeatureRecord feature, long timestamp) {
        if (feature.vector() == null) {
            // The entity expired in that view: its history goes with it.
            history.remove(entityId, feature.view());
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
        history.add(entityId, feature.view(), eventTimeMs, feature.vector(), historyMs);
        releaseWaiting(entityId, eventTimeMs, timestamp);
    }

    /** Joins the entity's waiting labels whose event time the features have now reached. */
    private void releaseWaiting(String entityId, long reachedMs, long timestamp) {
        List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = pending.range(pendingBound(entityId, Long.MIN_VALUE, false),
                pendingBound(entityId, reachedMs, true))) {
            it.forEachRemaining(due::add);
        }
        for (KeyValue<Bytes, byte[]> entry : due) {
            pending.delete(entry.key);
            ByteBuffer value = ByteBuffer.wrap(entry.value);
            long storedAtMs = value.getLong();
            expiry.delete(expiryKey(storedAtMs, entry.key));
            byte[] encoded = new byte[value.remaining()];
            value.get(encoded);
            EntityLabel label = EntityLabel.decode(encoded);
            join(label, history.asOf(entityId, label.eventTimeMs()), timestamp);
        }
    }

    private void onLabel(EntityLabel label, long timestamp, long arrivedAtMs) {
        List<ViewAsOf> views = history.asOf(label.entityId(), label.eventTimeMs());
        if (views.stream().allMatch(v -> v.newestMs() < label.eventTimeMs())) {
            Bytes key = pendingKey(label);
            pending.put(key, FeatureHistory.concat(ByteBuffer.allocate(8).putLong(arrivedAtMs).array(),
                label.encode()));
            expiry.put(expiryKey(arrivedAtMs, key), new byte[0]);
            log.debug("The label of entity '{}' at event time {} waits for the entity's features to reach that time.",
                label.entityId(), label.eventTimeMs());
            return;
        }
        join(label, views, timestamp);
    }

    private void join(EntityLabel label, List<ViewAsOf> views, long timestamp) {
        if (views.stream().allMatch(v -> v.asOf() == null)) {
            long oldestKept = views.stream().mapToLong(ViewAsOf::oldestMs).min().orElse(Long.MAX_VALUE);
            leaveOut(label, DeadLetter.Reason.UNMATCHED_LABEL, oldestKept == Long.MAX_VALUE
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
        for (ViewAsOf view : views) {
            if (view.asOf() == null) {
                continue;
            }
            try {
                example.putAllFeatures(FeatureVector.parseFrom(view.asOf()).getValuesMap());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("A stored feature vector no longer parses", e);
            }
        }
        counters.trainingExamplesOut.increment();
        context.forward(new Record<>(label.entityId(),
            new Routed(topics.name(Topic.TRAINING_EXAMPLES), example.build().toByteArray()), timestamp));
    }

    /** Dead-letters the labels that waited at least the label wait before {@code now} (join time). */
    private void expire(long now) {
        long cutoff = now - labelWaitMs;
        if (cutoff < 0) {
            return;
        }
        List<Bytes> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = expiry.range(PendingEntries.expiryBound(0),
                PendingEntries.expiryBound(cutoff + 1))) {
            while (it.hasNext() && due.size() < EXPIRY_BATCH) {
                Bytes next = it.next().key;
                if (PendingEntries.storedAt(next) <= cutoff) {
                    due.add(next);
                }
            }
        }
        for (Bytes key : due) {
            expiry.delete(key);
            byte[] k = key.get();
            Bytes pendingKey = Bytes.wrap(Arrays.copyOfRange(k, 8, k.length));
            byte[] stored = pending.delete(pendingKey);
            if (stored != null) {
                EntityLabel label = EntityLabel.decode(Arrays.copyOfRange(stored, 8, stored.length));
                expired(label, history.asOf(label.entityId(), label.eventTimeMs()));
            }
        }
    }

    private void expired(EntityLabel label, List<ViewAsOf> views) {
        String waited = " within " + labelWaitMs + " ms (" + FeatureStoreConfig.LABEL_WAIT_MS_CONFIG + ")";
        if (views.isEmpty()) {
            leaveOut(label, DeadLetter.Reason.UNMATCHED_LABEL, "no feature vector of entity '" + label.entityId()
                + "' arrived" + waited + "; check that its events reach a running view");
            return;
        }
        long newest = views.stream().mapToLong(ViewAsOf::newestMs).max().orElseThrow();
        leaveOut(label, DeadLetter.Reason.LABEL_BEFORE_FEATURES, "the newest feature vector of entity '"
            + label.entityId() + "' is at event time " + newest + ", before the label's event time "
            + label.eventTimeMs() + ", and none at or after it arrived" + waited + "; joining the older vector "
            + "would give the example stale features. Check that the labelled event was not dead-lettered, or "
            + "send labels later or raise " + FeatureStoreConfig.LABEL_WAIT_MS_CONFIG);
    }

    private void leaveOut(EntityLabel label, DeadLetter.Reason reason, String why) {
        counters.labelLeftOut(reason.name());
        log.debug("Dead-lettered the label of entity '{}' at event time {} as {}: {}.", label.entityId(),
            label.eventTimeMs(), reason, why);
        long now = context.currentSystemTimeMs();
        context.forward(new Record<>(label.entityId(), DeadLetters.of(topics, reason, why, "event_time", "",
            topics.name(Topic.LABELS), label.sourcePartition(), label.sourceOffset(), label.raw(), now), now));
    }

    /** Entity, the sign-flipped big-endian event time, then the label's source partition and offset. */
    private static Bytes pendingKey(EntityLabel label) {
        byte[] p = FeatureHistory.prefix(label.entityId()).get();
        return Bytes.wrap(ByteBuffer.allocate(p.length + 20).put(p).putLong(label.eventTimeMs() ^ Long.MIN_VALUE)
            .putInt(label.sourcePartition()).putLong(label.sourceOffset()).array());
    }

    /** The lowest (or, with {@code last}, highest) pending key of the entity at {@code eventTimeMs}. */
    private static Bytes pendingBound(String entityId, long eventTimeMs, boolean last) {
        byte[] p = FeatureHistory.prefix(entityId).get();
        ByteBuffer key = ByteBuffer.allocate(p.length + 20).put(p).putLong(eventTimeMs ^ Long.MIN_VALUE);
        if (last) {
            key.putInt(-1).putLong(-1);
        }
        return Bytes.wrap(key.array());
    }

    /** The arrival time (big-endian, byte order is time order), then the pending label's key. */
    private static Bytes expiryKey(long storedAtMs, Bytes pendingKey) {
        return Bytes.wrap(FeatureHistory.concat(PendingEntries.expiryBound(storedAtMs).get(), pendingKey.get()));
    }
}
