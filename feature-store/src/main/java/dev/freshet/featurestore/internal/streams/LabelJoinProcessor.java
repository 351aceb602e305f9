package dev.freshet.featurestore.internal.streams;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.streams.PendingEntries.PendingLabel;
import dev.freshet.featurestore.internal.streams.PendingEntries.PendingPrediction;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.featurestore.internal.view.TimeMath;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins logged predictions with their labels by request id. The training example carries the features as
 * logged when the prediction was served, so nothing that happened after the prediction can leak in. Whichever
 * side comes first waits in a store until the task's join time, the newest record timestamp it has read
 * (prediction-log and label times), has moved the label wait past its arrival.
 *
 * <p>The wait is measured in record time, not on the wall clock, so an outage of the feature store expires nothing:
 * after it, the backlog is read in timestamp order and a label finds the prediction it followed within the wait,
 * however long the store was down. When no records come, nothing expires and nothing is added, so the pending
 * stores (RocksDB, changelogged) grow only with records read. A record timestamp further ahead of the wall clock
 * than featurestore.event.time.max.future.ms does not move the join time: one bad producer clock would otherwise
 * expire every pending entry of the task. The join time is not persisted; after a restart the first record sets it
 * again, and until then nothing is due.
 */
final class LabelJoinProcessor implements Processor<String, byte[], String, JoinOutput> {
    private static final Logger log = LoggerFactory.getLogger(LabelJoinProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXPIRY_BATCH = 10_000;

    private final FeatureView view;
    private final TopicLayout topics;
    private final Counters counters;
    private final long labelWaitMs;
    private final boolean entityLabels;
    private final long expiryIntervalMs;
    private ProcessorContext<String, JoinOutput> context;
    private RecordLimits limits;
    private long joinTimeMs = Long.MIN_VALUE;
    private long nextExpiryMs = Long.MIN_VALUE;
    private KeyValueStore<String, byte[]> predictions;
    private KeyValueStore<String, byte[]> labels;
    private KeyValueStore<Bytes, byte[]> expiry;

    LabelJoinProcessor(FeatureView view, TopicLayout topics, Counters counters, long labelWaitMs) {
        this(view, topics, counters, labelWaitMs, false);
    }

    /**
     * @param entityLabels whether labels naming an entity and an event time (no request id) go on as
     *     {@link EntityLabel}s to the feature history; when false they are dead-lettered, since no history is kept
     */
    LabelJoinProcessor(FeatureView view, TopicLayout topics, Counters counters, long labelWaitMs, boolean entityLabels) {
        this.view = view;
        this.topics = topics;
        this.counters = counters;
        this.labelWaitMs = labelWaitMs;
        this.entityLabels = entityLabels;
        // A tenth of the wait keeps an entry's real lifetime within 10% of the configured one.
        this.expiryIntervalMs = Math.max(1, Math.min(5_000, labelWaitMs / 10));
    }

    @Override
    public void init(ProcessorContext<String, JoinOutput> context) {
        this.context = context;
        this.predictions = context.getStateStore(FeatureStoreTopology.PENDING_PREDICTIONS_STORE);
        this.labels = context.getStateStore(FeatureStoreTopology.PENDING_LABELS_STORE);
        this.expiry = context.getStateStore(FeatureStoreTopology.LABEL_EXPIRY_STORE);
        this.limits = RecordLimits.fromAppConfigs(context.appConfigs());
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        long arrivedAtMs = advanceJoinTime(record.timestamp(), source);
        if (joinTimeMs != Long.MIN_VALUE && joinTimeMs >= nextExpiryMs) {
            expire(joinTimeMs);
            nextExpiryMs = TimeMath.plus(joinTimeMs, expiryIntervalMs);
        }
        if (source.topic().equals(topics.name(Topic.PREDICTIONS))) {
            onPrediction(record, source, arrivedAtMs);
        } else {
            counters.labelsIn.increment();
            onLabel(record, source, arrivedAtMs);
        }
    }

    /**
     * Moves the join time to the record's timestamp when that is later and credible.
     *
     * @return the join time the record arrived at, which its wait is measured from: the record's timestamp or the
     *     join time before it, whichever is later (the wall clock for an incredible first record after a start)
     */
    private long advanceJoinTime(long timestampMs, RecordMetadata source) {
        long wallClockMs = context.currentSystemTimeMs();
        if (timestampMs >= 0 && timestampMs <= limits.latestCredibleMs(wallClockMs)) {
            joinTimeMs = Math.max(joinTimeMs, timestampMs);
            return joinTimeMs;
        }
        log.debug("The record at {}-{} offset {} has timestamp {}, more than {} ms ahead of the wall clock "
            + "(featurestore.event.time.max.future.ms); it does not move the label join's time.", source.topic(),
            source.partition(), source.offset(), timestampMs, limits.maxFutureMs());
        return joinTimeMs == Long.MIN_VALUE ? wallClockMs : joinTimeMs;
    }

    private void onPrediction(Record<String, byte[]> record, RecordMetadata source, long arrivedAtMs) {
        PredictionLogEntry entry;
        try {
            entry = record.value() == null ? null : PredictionLogEntry.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            entry = null;
        }
        String requestId = entry == null ? "" : entry.getRequestId().isEmpty() ? nullToEmpty(record.key())
            : entry.getRequestId();
        if (entry == null || requestId.isEmpty()) {
            deadLetter(record.key(), "MALFORMED_PREDICTION", DeadLetter.Reason.MALFORMED_PREDICTION,
                entry == null ? "the value is not a PredictionLogEntry; expected the serving prediction log's protobuf"
                    : "the prediction has no request_id and no key; expected the request id", "request_id",
                source, record.value());
            return;
        }
        if (entry.getShadow()) {
            // A shadow score answered nobody; the request's training example comes from the answer that was given.
            return;
        }
        byte[] waiting = labels.get(requestId);
        if (waiting != null) {
            PendingLabel label = PendingLabel.decode(waiting);
            labels.delete(requestId);
            expiry.delete(PendingEntries.expiryKey(label.storedAtMs(), PendingEntries.LABEL, requestId));
            emit(entry, label.label(), label.arrivedAtMs(), record.timestamp());
            return;
        }
        byte[] previous = predictions.get(requestId);
        if (previous != null) {
            expiry.delete(PendingEntries.expiryKey(PendingPrediction.decode(previous).storedAtMs(),
                PendingEntries.PREDICTION, requestId));
        }
        predictions.put(requestId, new PendingPrediction(arrivedAtMs, record.value()).encode());
        expiry.put(PendingEntries.expiryKey(arrivedAtMs, PendingEntries.PREDICTION, requestId), new byte[0]);
    }

    private void onLabel(Record<String, byte[]> record, RecordMetadata source, long arrivedAtMs) {
        String requestId;
        String label;
        try {
            JsonNode root = record.value() == null ? null : JSON.readTree(record.value());
            if (root == null || !root.isObject()) {
                malformedLabel(record, source, "the value is not a JSON object", "");
                return;
            }
            JsonNode id = root.get("request_id");
            if (id == null && root.has("entity_id") && root.has("event_time")) {
                onEntityLabel(record, source, root);
                return;
            }
            if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
                malformedLabel(record, source, "'request_id' is missing or not a non-empty string", "request_id");
                return;
            }
            label = LabelText.of(root.get("label"));
            if (label == null) {
                malformedLabel(record, source, LabelText.problem(root.get("label")), "label");
                return;
            }
            requestId = id.textValue();
            if (tooLong(record, source, "request_id", requestId, limits.entityIdMaxChars(),
                    FeatureStoreConfig.ENTITY_ID_MAX_CHARS_CONFIG)
                    || tooLong(record, source, "label", label, limits.stringValueMaxChars(),
                        FeatureStoreConfig.STRING_VALUE_MAX_CHARS_CONFIG)) {
                return;
            }
        } catch (IOException e) {
            malformedLabel(record, source, "the value is not valid JSON", "");
            return;
        }
        if (record.key() != null && !record.key().equals(requestId)) {
            // Keyed otherwise, the label may sit on another partition than its prediction and never meet it.
            malformedLabel(record, source, "the record key '" + record.key() + "' differs from request_id '"
                + requestId + "'", "request_id");
            return;
        }
        byte[] waiting = predictions.get(requestId);
        if (waiting != null) {
            PendingPrediction prediction = PendingPrediction.decode(waiting);
            predictions.delete(requestId);
            expiry.delete(PendingEntries.expiryKey(prediction.storedAtMs(), PendingEntries.PREDICTION, requestId));
            emit(parse(prediction.entry()), label, record.timestamp(), record.timestamp());
            return;
        }
        byte[] previous = labels.get(requestId);
        if (previous != null) {
            expiry.delete(PendingEntries.expiryKey(PendingLabel.decode(previous).storedAtMs(),
                PendingEntries.LABEL, requestId));
        }
        labels.put(requestId, new PendingLabel(arrivedAtMs, record.timestamp(), label, source.partition(),
            source.offset(), record.value()).encode());
        expiry.put(PendingEntries.expiryKey(arrivedAtMs, PendingEntries.LABEL, requestId), new byte[0]);
    }

    /** A label naming an entity and an event time: checked here, joined with the entity's feature history. */
    private void onEntityLabel(Record<String, byte[]> record, RecordMetadata source, JsonNode root) {
        JsonNode entity = root.get("entity_id");
        JsonNode time = root.get("event_time");
        String label = LabelText.of(root.get("label"));
        if (!(entity.isTextual() || entity.isIntegralNumber()) || entity.asText().isEmpty()) {
            malformedLabel(record, source, "'entity_id' is not a non-empty string", "entity_id");
        } else if (!time.isIntegralNumber() || !time.canConvertToLong()) {
            malformedLabel(record, source, "'event_time' is not epoch milliseconds", "event_time");
        } else if (label == null) {
            malformedLabel(record, source, LabelText.problem(root.get("label")), "label");
        } else if (tooLong(record, source, "entity_id", entity.asText(), limits.entityIdMaxChars(),
                FeatureStoreConfig.ENTITY_ID_MAX_CHARS_CONFIG)
                || tooLong(record, source, "label", label, limits.stringValueMaxChars(),
                    FeatureStoreConfig.STRING_VALUE_MAX_CHARS_CONFIG)) {
            return; // dead-lettered as VALUE_TOO_LONG
        } else {
            String entityId = entity.asText();
            if (view.label() != null) {
                // The label feature shows it from the entity's first event after its event time, as it would a
                // label by request id placed at its event's time.
                context.forward(new Record<>(entityId, new LabelUpdate(entityId, "", label, time.longValue()),
                    record.timestamp()));
            }
            if (entityLabels) {
                context.forward(new Record<>(entityId, new EntityLabel(entityId, time.longValue(), label,
                    record.timestamp(), source.partition(), source.offset(), record.value()), record.timestamp()));
            } else {
                deadLetter(record.key(), DeadLetter.Reason.UNMATCHED_LABEL.name(), DeadLetter.Reason.UNMATCHED_LABEL,
                    "a label by entity and event time needs the entity's feature history, and none is kept; set "
                        + "featurestore.feature.history.ms to how far back such labels may reach", "event_time",
                    source, record.value());
            }
        }
    }

    private void emit(PredictionLogEntry prediction, String label, long labelArrivedAtMs, long timestamp) {
        TrainingExample example = TrainingExample.newBuilder()
            .setRequestId(prediction.getRequestId())
            .setEntityId(prediction.getEntityId())
            .putAllFeatures(prediction.getFeaturesMap())
            .setLabel(label)
            .setPredictedAtMs(prediction.getServedAtMs())
            .setLabelArrivedAtMs(labelArrivedAtMs)
            .setModel(prediction.getModel())
            .setModelVersion(prediction.getModelVersion())
            .setPredictedLabel(prediction.getLabel())
            .putAllClassProbabilities(prediction.getClassProbabilitiesMap())
            .build();
        counters.trainingExamplesOut.increment();
        context.forward(new Record<>(prediction.getEntityId(),
            new Routed(topics.name(Topic.TRAINING_EXAMPLES), example.toByteArray()), timestamp));
        if (view.label() != null && !prediction.getEntityId().isEmpty()) {
            context.forward(new Record<>(prediction.getEntityId(),
                new LabelUpdate(prediction.getEntityId(), prediction.getRequestId(), label, LabelUpdate.UNKNOWN_TIME),
                timestamp));
        }
    }

    /** Removes the entries that arrived at least the label wait before {@code now} (join time). */
    private void expire(long now) {
        long cutoff = now - labelWaitMs;
        if (cutoff < 0) {
            // Entries are stored at record timestamps, never negative: nothing can be due yet.
            return;
        }
        List<Bytes> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it =
                 expiry.range(PendingEntries.expiryBound(0), PendingEntries.expiryBound(cutoff + 1))) {
            while (it.hasNext() && due.size() < EXPIRY_BATCH) {
                KeyValue<Bytes, byte[]> next = it.next();
                if (PendingEntries.storedAt(next.key) <= cutoff) {
                    due.add(next.key);
                }
            }
        }
        for (Bytes key : due) {
            expiry.delete(key);
            String requestId = PendingEntries.requestId(key);
            if (PendingEntries.kind(key) == PendingEntries.PREDICTION) {
                predictions.delete(requestId);
                counters.predictionsExpiredUnlabelled.increment();
                log.debug("The prediction for request '{}' got no label within {} ms and was dropped.",
                    requestId, labelWaitMs);
            } else {
                byte[] stored = labels.delete(requestId);
                if (stored != null) {
                    unmatchedLabel(requestId, PendingLabel.decode(stored), now);
                }
            }
        }
    }

    private void unmatchedLabel(String requestId, PendingLabel label, long joinTime) {
        counters.labelLeftOut(DeadLetter.Reason.UNMATCHED_LABEL.name());
        log.debug("Dead-lettered the label for request '{}': no prediction arrived within {} ms.",
            requestId, labelWaitMs);
        long now = context.currentSystemTimeMs();
        context.forward(new Record<>(requestId, DeadLetters.of(topics, DeadLetter.Reason.UNMATCHED_LABEL,
            "no prediction with request_id '" + requestId + "' arrived within " + labelWaitMs
                + " ms (featurestore.label.wait.ms); check that serving logs predictions with this request id",
            "request_id", view.name(), topics.name(Topic.LABELS), label.sourcePartition(), label.sourceOffset(), label.raw(),
            now), joinTime));
    }

    /**
     * Dead-letters a label whose id or class is longer than the events' limits: the id becomes a store key and the
     * class a feature of the model (last_label) and a training example's label, as an event's strings do.
     */
    private boolean tooLong(Record<String, byte[]> record, RecordMetadata source, String field, String value, int max,
                            String key) {
        if (value.length() <= max) {
            return false;
        }
        deadLetter(record.key(), DeadLetter.Reason.VALUE_TOO_LONG.name(), DeadLetter.Reason.VALUE_TOO_LONG,
            "'" + field + "' is " + value.length() + " characters, longer than the " + max + " allowed (" + key
                + "); send a shorter one or raise the limit", field, source, record.value());
        return true;
    }

    private void malformedLabel(Record<String, byte[]> record, RecordMetadata source, String what, String field) {
        deadLetter(record.key(), DeadLetter.Reason.MALFORMED_LABEL.name(), DeadLetter.Reason.MALFORMED_LABEL,
            what + "; expected {\"request_id\": \"<id>\", \"label\": <label>} keyed by the request id, or "
                + "{\"entity_id\": \"<id>\", \"event_time\": <epoch ms>, \"label\": <label>}, the label a "
                + "non-empty string, a finite number or a boolean", field,
            source, record.value());
    }

    private void deadLetter(String key, String countedAs, DeadLetter.Reason reason, String detail, String field,
            RecordMetadata source, byte[] raw) {
        if (reason == DeadLetter.Reason.MALFORMED_PREDICTION) {
            counters.deadLettered(countedAs);
        } else {
            counters.labelLeftOut(countedAs);
        }
        log.debug("Dead-lettered the record at {}-{} offset {} as {}: {}.", source.topic(), source.partition(),
            source.offset(), countedAs, detail);
        long now = context.currentSystemTimeMs();
        context.forward(new Record<>(key, DeadLetters.of(topics, reason, detail, field, view.name(), source.topic(),
            source.partition(), source.offset(), raw, now), now));
    }

    private static PredictionLogEntry parse(byte[] entry) {
        try {
            return PredictionLogEntry.parseFrom(entry);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("A stored prediction no longer parses", e);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
