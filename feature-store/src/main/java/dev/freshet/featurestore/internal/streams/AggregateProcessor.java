package dev.freshet.featurestore.internal.streams;

import dev.freshet.contracts.RecordKeys;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.EntityState;
import dev.freshet.featurestore.internal.view.EntityStateCodec;
import dev.freshet.featurestore.internal.view.Event;
import dev.freshet.featurestore.internal.view.FeatureComputer;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.featurestore.internal.view.Rejection;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds each entity's events into its state in the entity-state store and emits the entity's feature vector;
 * a late event, or one that would grow the entity's state past featurestore.record.max.bytes, becomes a dead
 * letter. With {@code featurestore.entity.ttl.ms} set, removes the entities no event has
 * come for in that much event time and writes their tombstones. Runs on the entity's partition.
 */
final class AggregateProcessor implements Processor<String, EntityInput, String, Routed> {
    private static final Logger log = LoggerFactory.getLogger(AggregateProcessor.class);

    private final FeatureView view;
    private final FeatureComputer computer;
    private final TopicLayout topics;
    private final Counters counters;
    private ProcessorContext<String, Routed> context;
    private KeyValueStore<String, byte[]> states;
    private EntityExpiry expiry;
    private int stateMaxBytes;
    private CategoryVocabulary vocabulary;

    AggregateProcessor(FeatureView view, TopicLayout topics, Counters counters) {
        this.view = view;
        this.computer = new FeatureComputer(view);
        this.topics = topics;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<String, Routed> context) {
        this.context = context;
        this.states = context.getStateStore(FeatureStoreTopology.ENTITY_STATE_STORE);
        RecordLimits limits = RecordLimits.fromAppConfigs(context.appConfigs());
        // The state is one changelog record; past this it would be refused, which stops the application.
        this.stateMaxBytes = limits.recordMaxBytes();
        long ttlMs = EntityExpiry.ttlMs(context.appConfigs());
        this.expiry = ttlMs <= 0 ? null : new EntityExpiry(ttlMs,
            context.getStateStore(FeatureStoreTopology.ENTITY_LAST_SEEN_STORE), states);
        this.vocabulary = new CategoryVocabulary(context.getStateStore(FeatureStoreTopology.CATEGORY_VOCABULARY_STORE),
            limits.categoryMaxValues());
    }

    @Override
    public void process(Record<String, EntityInput> record) {
        if (record.value() instanceof LabelUpdate update) {
            onLabel(record, update);
            return;
        }
        EventEnvelope envelope = (EventEnvelope) record.value();
        Event event = envelope.event();
        byte[] stored = states.get(event.entityId());
        EntityState state = stored == null ? EntityState.empty() : EntityStateCodec.decode(stored);
        Long newestBefore = state.isEmpty() ? null : state.newestEventTimeMs();
        Rejection refused = computer.apply(state, event);
        if (refused != null) {
            deadLetter(record, envelope, DeadLetter.Reason.valueOf(refused.reason().name()), refused.detail(),
                refused.field());
            return;
        }
        // Checked before the vocabulary admits anything, so a refused event leaves no trace; the overflow marks
        // boundCategories may add are a few bytes, within the changelog's headroom over the limit.
        byte[] encoded = EntityStateCodec.encode(state);
        if (encoded.length > stateMaxBytes) {
            deadLetter(record, envelope, DeadLetter.Reason.ENTITY_STATE_FULL, "entity '" + event.entityId()
                + "''s state would be " + encoded.length + " bytes with this event, over the limit of "
                + stateMaxBytes + " bytes (" + FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG + "); it keeps what it "
                + "had. Raise the limit for entities this busy, or shorten the view's windows", "");
            return;
        }
        if ((newestBefore == null || event.eventTimeMs() >= newestBefore) && boundCategories(state, event)) {
            encoded = EntityStateCodec.encode(state);
        }
        states.put(event.entityId(), encoded);
        emitVector(record, event.entityId(), state);
        if (expiry != null) {
            expiry.seen(event.entityId(), newestBefore, state.newestEventTimeMs());
            for (String expired : expiry.expireUpTo(event.eventTimeMs())) {
                counters.entitiesExpired.increment();
                log.debug("Entity '{}' of view '{}' expired: no event for {} ms of event time.", expired,
                    view.name(), expiry.ttlMs());
                // A tombstone, so that compaction removes the entity from every replica of the features topic.
                context.forward(new Record<>(RecordKeys.featureKey(view.name(), expired),
                    new Routed(topics.name(Topic.FEATURES), null), record.timestamp()));
            }
        }
    }

    /**
     * Marks the string values of the entity's newest event that are beyond their field's vocabulary, so that the
     * vector (here and on an online read) shows {@code <field>=__other__} for them. Only the newest event's values
     * are encoded, so only they take a place in the vocabulary.
     */
    private boolean boundCategories(EntityState state, Event event) {
        boolean marked = false;
        for (FeatureView.Field field : view.fields()) {
            if (field.inputOnly()) {
                // Not encoded, so it takes no place in the vocabulary (a free text would fill it).
                continue;
            }
            if (event.values().get(field.name()) instanceof String value && !vocabulary.admit(field.name(), value)) {
                state.markOverflow(field.name());
                marked = true;
                log.debug("The value of field '{}' of entity '{}' is beyond the view's {} categories for it; it is "
                    + "encoded as {}.", field.name(), event.entityId(), view.name(),
                    FeatureComputer.overflowFeature(field.name()));
            }
        }
        return marked;
    }

    private void deadLetter(Record<String, EntityInput> record, EventEnvelope envelope, DeadLetter.Reason reason,
                            String detail, String field) {
        counters.deadLettered(reason.name());
        log.debug("Dead-lettered the event at {} partition {} offset {} as {}: {}.", topics.name(Topic.EVENTS),
            envelope.sourcePartition(), envelope.sourceOffset(), reason, detail);
        context.forward(new Record<>(envelope.originalKey(), DeadLetters.of(topics, reason, detail, field,
            view.name(), topics.name(Topic.EVENTS), envelope.sourcePartition(), envelope.sourceOffset(),
            envelope.raw(), context.currentSystemTimeMs()), record.timestamp()));
    }

    /** Folds a label of one of the entity's examples into its state; re-emits the vector when it shows. */
    private void onLabel(Record<String, EntityInput> record, LabelUpdate update) {
        byte[] stored = states.get(update.entityId());
        if (stored == null) {
            log.debug("Ignored a label of entity '{}' (request '{}'): the entity has no events yet.",
                update.entityId(), update.requestId());
            return;
        }
        EntityState state = EntityStateCodec.decode(stored);
        boolean changed = update.exampleTimeMs() == LabelUpdate.UNKNOWN_TIME
            ? computer.applyLabel(state, update.requestId(), update.label())
            : computer.applyLabelAt(state, update.exampleTimeMs(), update.label());
        states.put(update.entityId(), EntityStateCodec.encode(state));
        if (changed) {
            emitVector(record, update.entityId(), state);
        }
    }

    private void emitVector(Record<String, EntityInput> record, String entityId, EntityState state) {
        FeatureVector vector = FeatureVector.newBuilder()
            .setEntityId(entityId)
            .setView(view.name())
            .setViewVersion(view.version())
            .setEventTimeMs(state.newestEventTimeMs())
            .putAllValues(computer.features(state))
            .build();
        counters.featureVectorsOut.increment();
        context.forward(new Record<>(RecordKeys.featureKey(view.name(), entityId),
            new Routed(topics.name(Topic.FEATURES), vector.toByteArray()), record.timestamp()));
    }
}
