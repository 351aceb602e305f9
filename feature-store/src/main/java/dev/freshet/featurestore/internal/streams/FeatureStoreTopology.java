package dev.freshet.featurestore.internal.streams;

import java.util.Map;
import java.util.function.BooleanSupplier;

import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The feature store's Kafka Streams topology, in two sub-topologies:
 * <ol>
 *   <li>ingestion: events → parse (bad ones → dead-letter) → repartition by entity (only events not already on
 *       their entity's partition) → aggregate in the entity-state store → features (late ones →
 *       dead-letter);</li>
 *   <li>label join: predictions + labels (both keyed by request id, co-partitioned) → pending stores →
 *       training-examples (unmatched labels, malformed labels → dead-letter); with a feature history, labels by
 *       entity and event time join the features topic's vectors as they were then.</li>
 * </ol>
 */
public final class FeatureStoreTopology {
    /** The per-entity state store, queryable through the running Kafka Streams instance. */
    public static final String ENTITY_STATE_STORE = "entity-state";
    /** Entities by newest event time, for expiry; empty unless featurestore.entity.ttl.ms is set. */
    static final String ENTITY_LAST_SEEN_STORE = "entity-last-seen";
    /** Each string field's one-hot categories in the task (featurestore.category.max.values). */
    static final String CATEGORY_VOCABULARY_STORE = "category-vocabulary";
    static final String PENDING_PREDICTIONS_STORE = "label-join-pending-predictions";
    static final String PENDING_LABELS_STORE = "label-join-pending-labels";
    static final String LABEL_EXPIRY_STORE = "label-join-expiry";
    /** Each entity's recent feature vectors per view by event time, for labels by entity and event time. */
    static final String FEATURE_HISTORY_STORE = "feature-history";
    /** Labels by entity and event time waiting for the entity's features to reach their time. */
    static final String HISTORY_PENDING_LABELS_STORE = "feature-history-pending-labels";
    /** The waiting labels by arrival time, for expiry. */
    static final String HISTORY_LABEL_EXPIRY_STORE = "feature-history-label-expiry";

    private FeatureStoreTopology() {
    }

    /**
     * @param labelWaitMs how long the label join keeps an unmatched prediction or label
     * @param counters where processors count what they do; shared with the caller
     */
    public static Topology build(FeatureView view, TopicLayout topics, long labelWaitMs, Counters counters) {
        return build(view, topics, labelWaitMs, counters, 0);
    }

    /**
     * @param entityPartitions partitions of the events topic, and so of the by-entity repartition topics; must be
     *     positive when the view has a label feature, so that an entity's labels and events meet in the same task
     *     (zero: Kafka Streams decides, and every event goes through the repartition topic)
     */
    public static Topology build(FeatureView view, TopicLayout topics, long labelWaitMs, Counters counters,
            int entityPartitions) {
        if (view.label() != null && entityPartitions <= 0) {
            throw new IllegalArgumentException("A view with a label feature needs the entity partition count");
        }
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, LabelUpdate> labelUpdates = addLabelJoin(builder, view, topics, labelWaitMs, counters, true);
        addIngestion(builder, view, topics, counters, labelUpdates, entityPartitions, () -> true);
        return builder.build();
    }

    /** @param emitting whether outputs (feature vectors, dead letters) are written now; false drops them */
    private static void addIngestion(StreamsBuilder builder, FeatureView view, TopicLayout topics, Counters counters,
            KStream<String, LabelUpdate> labelUpdates, int entityPartitions, BooleanSupplier emitting) {
        // Caching folds an entity's many updates within a commit interval into one changelog write.
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ENTITY_STATE_STORE), Serdes.String(), Serdes.ByteArray())
            .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ENTITY_LAST_SEEN_STORE), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(CATEGORY_VOCABULARY_STORE), Serdes.String(), Serdes.ByteArray())
            .withCachingEnabled());
        Map<String, KStream<String, IngestOutput>> parsed = builder
            .stream(topics.name(Topic.EVENTS), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events"))
            .process(() -> new ParseEventsProcessor(view, topics, counters, entityPartitions),
                Named.as("parse-events"))
            .split(Named.as("events-"))
            .branch((key, value) -> value instanceof Routed, Branched.as("rejected"))
            .branch((key, value) -> ((EventEnvelope) value).onEntityPartition(), Branched.as("local"))
            .defaultBranch(Branched.as("accepted"));
        route(parsed.get("events-rejected").mapValues(value -> (Routed) value, Named.as("events-dead-letters"))
            .filter((key, value) -> emitting.getAsBoolean(), Named.as("events-dead-letters-gate")),
            "parse-events-sink", topics, counters);
        Repartitioned<String, EventEnvelope> byEntity = Repartitioned.with(Serdes.String(), InternalSerdes.envelope())
            .withName("events-by-entity");
        // Events already on their entity's partition skip the repartition topic; the rest meet them in the same
        // task because the repartition topic has as many partitions as the events topic and the same hashing.
        KStream<String, EntityInput> entityInputs = parsed.get("events-accepted")
            .mapValues(value -> (EventEnvelope) value, Named.as("events-parsed"))
            .repartition(entityPartitions > 0 ? byEntity.withNumberOfPartitions(entityPartitions) : byEntity)
            .mapValues(value -> (EntityInput) value, Named.as("events-to-entity"))
            .merge(parsed.get("events-local").mapValues(value -> (EntityInput) value, Named.as("events-local-input")),
                Named.as("events-merged"));
        if (labelUpdates != null) {
            entityInputs = entityInputs.merge(labelUpdates
                .repartition(Repartitioned.with(Serdes.String(), LabelUpdate.serde()).withName("labels-by-entity")
                    .withNumberOfPartitions(entityPartitions))
                .mapValues(value -> (EntityInput) value, Named.as("labels-to-entity")), Named.as("entity-inputs"));
        }
        KStream<String, Routed> aggregated = entityInputs
            .process(() -> new AggregateProcessor(view, topics, counters), Named.as("aggregate"),
                ENTITY_STATE_STORE, ENTITY_LAST_SEEN_STORE, CATEGORY_VOCABULARY_STORE);
        route(aggregated.filter((key, value) -> emitting.getAsBoolean(), Named.as("aggregate-gate")),
            "aggregate-sink", topics, counters);
    }

    /** @return the joined labels for the entity state, or null when the view has no label feature */
    /**
     * Hook for the feature store's runtime of one Kafka Streams application per view version (FS-REGISTRY): the
     * ingestion of one view. Its label join runs only when the view has a label feature, to feed it; only the
     * label-join application ({@link #buildLabelJoin}) writes training examples.
     *
     * @param emitting read per record: while false, the view's feature vectors and dead letters are dropped (its
     *     state is still updated), so that a new version can backfill from history before it takes over
     */
    public static Topology buildIngestion(FeatureView view, TopicLayout topics, long labelWaitMs, Counters counters,
            int entityPartitions, BooleanSupplier emitting) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, LabelUpdate> labelUpdates = view.label() == null ? null
            : addLabelJoin(builder, view, topics, labelWaitMs, counters, false);
        addIngestion(builder, view, topics, counters, labelUpdates, entityPartitions, emitting);
        return builder.build();
    }

    /** Hook for the same runtime: the label join alone, writing training examples and the labels' dead letters. */
    public static Topology buildLabelJoin(TopicLayout topics, long labelWaitMs, Counters counters) {
        StreamsBuilder builder = new StreamsBuilder();
        addLabelJoin(builder, LABEL_JOIN_VIEW, topics, labelWaitMs, counters, true);
        return builder.build();
    }

    /**
     * The label join alone, and with {@code historyMs > 0} also the join of labels by entity and event time: the
     * features topic → repartition by entity → each entity's feature history (per view, {@code historyMs} of event
     * time) ← labels naming an entity and an event time, repartitioned by entity → training examples.
     *
     * @param entityPartitions partitions of the by-entity repartition topics (the events topic's)
     * @param historyMs how far back in event time a label by entity may reach; 0 keeps no history, and such labels
     *     are dead-lettered
     */
    public static Topology buildLabelJoin(TopicLayout topics, long labelWaitMs, Counters counters, int entityPartitions,
            long historyMs) {
        if (historyMs <= 0) {
            return buildLabelJoin(topics, labelWaitMs, counters);
        }
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_PREDICTIONS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_LABELS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(LABEL_EXPIRY_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(FEATURE_HISTORY_STORE), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(HISTORY_PENDING_LABELS_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(HISTORY_LABEL_EXPIRY_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        KStream<String, byte[]> predictions = builder.stream(topics.name(Topic.PREDICTIONS),
            Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("predictions"));
        KStream<String, byte[]> labels = builder.stream(topics.name(Topic.LABELS),
            Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("labels"));
        Map<String, KStream<String, JoinOutput>> joined = predictions.merge(labels, Named.as("predictions-and-labels"))
            .process(() -> new LabelJoinProcessor(LABEL_JOIN_VIEW, topics, counters, labelWaitMs, true),
                Named.as("label-join"), PENDING_PREDICTIONS_STORE, PENDING_LABELS_STORE, LABEL_EXPIRY_STORE)
            .split(Named.as("label-join-"))
            .branch((key, value) -> value instanceof EntityLabel, Branched.as("by-entity"))
            .defaultBranch(Branched.as("outputs"));
        route(joined.get("label-join-outputs").mapValues(value -> (Routed) value, Named.as("label-join-routed")),
            "label-join-sink", topics, counters);
        KStream<String, HistoryInput> entityLabels = joined.get("label-join-by-entity")
            .mapValues(value -> (EntityLabel) value, Named.as("entity-labels"))
            .repartition(Repartitioned.with(Serdes.String(), EntityLabel.serde()).withName("entity-labels-by-entity")
                .withNumberOfPartitions(entityPartitions))
            .mapValues(value -> (HistoryInput) value, Named.as("entity-labels-to-history"));
        // Features are keyed <view>/<entity id>; the history is kept by entity, so that one label sees every view.
        KStream<String, HistoryInput> features = builder.stream(topics.name(Topic.FEATURES),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("features"))
            .filter((key, value) -> key != null && key.indexOf('/') > 0, Named.as("features-keyed-by-view"))
            .map((key, value) -> KeyValue.pair(key.substring(key.indexOf('/') + 1),
                new FeatureRecord(key.substring(0, key.indexOf('/')), value)), Named.as("features-by-entity-key"))
            .repartition(Repartitioned.with(Serdes.String(), FeatureRecord.serde()).withName("features-by-entity")
                .withNumberOfPartitions(entityPartitions))
            .mapValues(value -> (HistoryInput) value, Named.as("features-to-history"));
        route(features.merge(entityLabels, Named.as("history-inputs"))
            .process(() -> new FeatureHistoryJoinProcessor(topics, counters, historyMs, labelWaitMs),
                Named.as("history-join"), FEATURE_HISTORY_STORE, HISTORY_PENDING_LABELS_STORE,
                HISTORY_LABEL_EXPIRY_STORE), "history-join-sink", topics, counters);
        return builder.build();
    }

    /** The history setting carried in the Streams properties (the feature store puts its key there), or 0. */
    public static long historyMs(Map<?, ?> props) {
        Object value = props.get(FeatureStoreConfig.FEATURE_HISTORY_MS_CONFIG);
        return value == null ? 0 : Long.parseLong(value.toString());
    }

    /** The label join belongs to no view: its dead letters name none. */
    private static final FeatureView LABEL_JOIN_VIEW = new FeatureView("", 1, "entity_id", "event_time",
        java.time.Duration.ZERO, java.util.List.of(), java.util.List.of());

    /** @param writeOutputs whether training examples and dead letters are written, not only label updates */
    private static KStream<String, LabelUpdate> addLabelJoin(StreamsBuilder builder, FeatureView view, TopicLayout topics,
            long labelWaitMs, Counters counters, boolean writeOutputs) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_PREDICTIONS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_LABELS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(LABEL_EXPIRY_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        KStream<String, byte[]> predictions = builder.stream(topics.name(Topic.PREDICTIONS),
            Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("predictions"));
        KStream<String, byte[]> labels = builder.stream(topics.name(Topic.LABELS),
            Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("labels"));
        KStream<String, JoinOutput> joined = predictions.merge(labels, Named.as("predictions-and-labels"))
            // Without outputs this join only feeds the label feature; the label-join application counts labels.
            .process(() -> new LabelJoinProcessor(view, topics, writeOutputs ? counters : new Counters(), labelWaitMs),
                Named.as("label-join"),
                PENDING_PREDICTIONS_STORE, PENDING_LABELS_STORE, LABEL_EXPIRY_STORE);
        if (view.label() == null) {
            if (writeOutputs) {
                route(joined.mapValues(value -> (Routed) value, Named.as("label-join-outputs")), "label-join-sink", topics, counters);
            }
            return null;
        }
        Map<String, KStream<String, JoinOutput>> outputs = joined
            .split(Named.as("label-join-"))
            .branch((key, value) -> value instanceof LabelUpdate, Branched.as("labels"))
            .defaultBranch(Branched.as("outputs"));
        if (writeOutputs) {
            route(outputs.get("label-join-outputs").mapValues(value -> (Routed) value,
                Named.as("label-join-routed")), "label-join-sink", topics, counters);
        }
        return outputs.get("label-join-labels").mapValues(value -> (LabelUpdate) value,
            Named.as("label-join-label-updates"));
    }

    /** Writes each value to the topic it names, bounded first ({@link RoutedGuard}). */
    private static void route(KStream<String, Routed> stream, String name, TopicLayout topics, Counters counters) {
        stream.processValues(() -> new RoutedGuard(topics, counters), Named.as(name + "-guard"))
            .to((key, value, context) -> value.topic(),
            Produced.with(Serdes.String(), InternalSerdes.routed()).withName(name));
    }
}
