package dev.freshet.featurestore.internal.streams;

import java.nio.charset.StandardCharsets;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.proto.features.v1.DeadLetter;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step before every sink of the feature store's own outputs: a dead letter's raw prefix is cut to
 * {@code featurestore.deadletter.raw.max.bytes}, and any output larger than {@code featurestore.record.max.bytes}
 * (a feature vector, a training example) is replaced by a RECORD_TOO_LARGE dead letter carrying its prefix, length
 * and SHA-256. Checked here, before the producer sees the record, because a record the exactly-once producer
 * refuses puts its whole transaction in error, and that would stop the stage or replay it without end.
 */
final class RoutedGuard implements FixedKeyProcessor<String, Routed, Routed> {
    private static final Logger log = LoggerFactory.getLogger(RoutedGuard.class);

    /**
     * A record's batch and record headers, counted in so that an output within the limit also fits a topic whose
     * max.message.bytes is the limit (the broker's default, 1 MiB and 12 bytes, for the default limit).
     */
    static final int FRAMING_BYTES = 128;

    private final TopicLayout topics;
    private final Counters counters;
    private FixedKeyProcessorContext<String, Routed> context;
    private String deadLetterTopic;
    private int rawMaxBytes;
    private int recordMaxBytes;

    RoutedGuard(TopicLayout topics, Counters counters) {
        this.topics = topics;
        this.counters = counters;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Routed> context) {
        this.context = context;
        this.deadLetterTopic = topics.name(Topic.DEAD_LETTER);
        RecordLimits limits = RecordLimits.fromAppConfigs(context.appConfigs());
        this.rawMaxBytes = limits.deadLetterRawMaxBytes();
        this.recordMaxBytes = limits.recordMaxBytes();
    }

    @Override
    public void process(FixedKeyRecord<String, Routed> record) {
        Routed routed = record.value();
        if (routed == null || routed.value() == null) {
            context.forward(record);
            return;
        }
        if (routed.topic().equals(deadLetterTopic) && routed.value().length > rawMaxBytes) {
            try {
                routed = new Routed(routed.topic(), DeadLetters.bounded(routed.value(), rawMaxBytes));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("The feature store built a dead letter that does not parse", e);
            }
        }
        long keyBytes = record.key() == null ? 0 : record.key().getBytes(StandardCharsets.UTF_8).length;
        if (routed.value().length + keyBytes + FRAMING_BYTES > recordMaxBytes) {
            routed = tooLarge(routed, keyBytes);
        }
        context.forward(record.withValue(routed));
    }

    private Routed tooLarge(Routed routed, long keyBytes) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        String detail = "the " + routed.topic() + " record derived from this record is "
            + (routed.value().length + keyBytes) + " bytes, over the limit of " + recordMaxBytes + " bytes ("
            + FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG + "); the raw value kept here is a prefix of that derived "
            + "record. Bound the view's inputs (fewer or shorter values) or raise the limit";
        counters.deadLettered(DeadLetter.Reason.RECORD_TOO_LARGE.name());
        log.debug("Dead-lettered a {} record of {} bytes as RECORD_TOO_LARGE (limit {} bytes).", routed.topic(),
            routed.value().length, recordMaxBytes);
        return DeadLetters.of(topics, DeadLetter.Reason.RECORD_TOO_LARGE, detail, "", "",
            source == null ? "" : source.topic(), source == null ? -1 : source.partition(),
            source == null ? -1 : source.offset(), RawValue.of(routed.value(), rawMaxBytes),
            context.currentSystemTimeMs());
    }
}
