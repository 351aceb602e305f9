package dev.freshet.featurestore.internal.streams;

import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.Event;
import dev.freshet.featurestore.internal.view.EventParser;
import dev.freshet.featurestore.internal.view.ParseResult;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.featurestore.internal.view.Rejection;
import dev.freshet.proto.features.v1.DeadLetter;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads raw events: a valid one goes on keyed by its entity id, a bad one becomes a dead letter under its
 * original key. A valid event read from the partition its entity id hashes to (as Kafka's default partitioner
 * and the by-entity repartition topic place it) is marked so, and skips the repartition topic: an events topic
 * keyed by entity id costs no second write and read. Stateless.
 */
final class ParseEventsProcessor implements Processor<String, byte[], String, IngestOutput> {
    private static final Logger log = LoggerFactory.getLogger(ParseEventsProcessor.class);

    private final FeatureView view;
    private EventParser parser;
    private final TopicLayout topics;
    private final Counters counters;
    private final int entityPartitions;
    private ProcessorContext<String, IngestOutput> context;
    private int rawMaxBytes;
    private int recordMaxBytes;

    /**
     * @param entityPartitions partitions of the events topic and of the by-entity repartition topic; zero or less
     *     when unknown, which sends every event through the repartition topic
     */
    ParseEventsProcessor(FeatureView view, TopicLayout topics, Counters counters, int entityPartitions) {
        this.view = view;
        this.topics = topics;
        this.counters = counters;
        this.entityPartitions = entityPartitions;
    }

    @Override
    public void init(ProcessorContext<String, IngestOutput> context) {
        this.context = context;
        RecordLimits limits = RecordLimits.fromAppConfigs(context.appConfigs());
        this.parser = new EventParser(view, limits);
        this.rawMaxBytes = limits.deadLetterRawMaxBytes();
        this.recordMaxBytes = limits.recordMaxBytes();
    }

    @Override
    public void process(Record<String, byte[]> record) {
        counters.eventsIn.increment();
        RecordMetadata source = context.recordMetadata().orElseThrow();
        if (record.value() != null && record.value().length > recordMaxBytes) {
            // Refused before parsing: what the store derives from it (its parsed form on the repartition topic, its
            // feature vector) could not be written, and a record the producer refuses stops the stage.
            deadLetter(record, source, DeadLetter.Reason.RECORD_TOO_LARGE, "the event is "
                + record.value().length + " bytes, over the limit of " + recordMaxBytes + " bytes ("
                + FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG + "); send smaller events or raise the limit", "");
            return;
        }
        // Refused here, an event out of bounds never reaches the entity's state or the expiry sweep. Kafka Streams'
        // own stream time follows the record timestamp, which no processor of the ingestion reads for time.
        ParseResult result = parser.parse(record.value(), context.currentSystemTimeMs());
        if (result instanceof Event event) {
            boolean onEntityPartition = entityPartitions > 0
                && EntityPartitions.of(event.entityId(), entityPartitions) == source.partition();
            context.forward(record.withKey(event.entityId()).withValue(new EventEnvelope(source.partition(),
                source.offset(), record.key(), RawValue.of(record.value(), rawMaxBytes), event, onEntityPartition)));
        } else if (result instanceof Rejection rejection) {
            deadLetter(record, source, DeadLetter.Reason.valueOf(rejection.reason().name()), rejection.detail(),
                rejection.field());
        }
    }

    private void deadLetter(Record<String, byte[]> record, RecordMetadata source, DeadLetter.Reason reason,
            String detail, String field) {
        counters.deadLettered(reason.name());
        log.debug("Dead-lettered the event at {}-{} offset {} as {}: {}.", source.topic(), source.partition(),
            source.offset(), reason, detail);
        Routed deadLetter = DeadLetters.of(topics, reason, detail, field, view.name(), source.topic(),
            source.partition(), source.offset(), RawValue.of(record.value(), rawMaxBytes),
            context.currentSystemTimeMs());
        context.forward(record.withValue(deadLetter));
    }
}
