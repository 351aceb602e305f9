package dev.freshet.featurestore.internal.streams;

import java.util.Map;

import dev.freshet.featurestore.FeatureView;
import org.apache.kafka.common.serialization.Serdes;
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
 *   <li>ingestion: events → parse (bad ones → dead-letter) → repartition by entity → aggregate in the
 *       entity-state store → features (late ones → dead-letter);</li>
 *   <li>label join: predictions + labels (both keyed by request id, co-partitioned) → pending stores →
 *       training-examples (unmatched labels, malformed labels → dead-letter).</li>
 * </ol>
 */
public final class FeatureStoreTopology {
    /** The per-entity state store, queryable through the running Kafka Streams instance. */
    public static final String ENTITY_STATE_STORE = "entity-state";
    static final String PENDING_PREDICTIONS_STORE = "label-join-pending-predictions";
    static final String PENDING_LABELS_STORE = "label-join-pending-labels";
    static final String LABEL_EXPIRY_STORE = "label-join-expiry";

    private FeatureStoreTopology() {
    }

    /**
     * @param labelWaitMs how long the label join keeps an unmatched prediction or label
     * @param counters where processors count what they do; shared with the caller
     */
    public static Topology build(FeatureView view, Topics topics, long labelWaitMs, Counters counters) {
        return build(view, topics, labelWaitMs, counters, 0);
    }

    /**
     * @param entityPartitions partitions of the by-entity repartition topics; must be positive when the view has
     *     a label feature, so that an entity's labels and events meet in the same task (zero: Kafka Streams
     *     decides, from the events topic)
     */
    public static Topology build(FeatureView view, Topics topics, long labelWaitMs, Counters counters,
            int entityPartitions) {
        if (view.label() != null && entityPartitions <= 0) {
            throw new IllegalArgumentException("A view with a label feature needs the entity partition count");
        }
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, LabelUpdate> labelUpdates = addLabelJoin(builder, view, topics, labelWaitMs, counters);
        addIngestion(builder, view, topics, counters, labelUpdates, entityPartitions);
        return builder.build();
    }

    private static void addIngestion(StreamsBuilder builder, FeatureView view, Topics topics, Counters counters,
            KStream<String, LabelUpdate> labelUpdates, int entityPartitions) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ENTITY_STATE_STORE), Serdes.String(), Serdes.ByteArray()));
        Map<String, KStream<String, IngestOutput>> parsed = builder
            .stream(topics.events(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events"))
            .process(() -> new ParseEventsProcessor(view, topics, counters), Named.as("parse-events"))
            .split(Named.as("events-"))
            .branch((key, value) -> value instanceof Routed, Branched.as("rejected"))
            .defaultBranch(Branched.as("accepted"));
        route(parsed.get("events-rejected").mapValues(value -> (Routed) value, Named.as("events-dead-letters")),
            "parse-events-sink");
        Repartitioned<String, EventEnvelope> byEntity = Repartitioned.with(Serdes.String(), InternalSerdes.envelope())
            .withName("events-by-entity");
        KStream<String, EntityInput> entityInputs = parsed.get("events-accepted")
            .mapValues(value -> (EventEnvelope) value, Named.as("events-parsed"))
            .repartition(entityPartitions > 0 ? byEntity.withNumberOfPartitions(entityPartitions) : byEntity)
            .mapValues(value -> (EntityInput) value, Named.as("events-to-entity"));
        if (labelUpdates != null) {
            entityInputs = entityInputs.merge(labelUpdates
                .repartition(Repartitioned.with(Serdes.String(), LabelUpdate.serde()).withName("labels-by-entity")
                    .withNumberOfPartitions(entityPartitions))
                .mapValues(value -> (EntityInput) value, Named.as("labels-to-entity")), Named.as("entity-inputs"));
        }
        KStream<String, Routed> aggregated = entityInputs
            .process(() -> new AggregateProcessor(view, topics, counters), Named.as("aggregate"),
                ENTITY_STATE_STORE);
        route(aggregated, "aggregate-sink");
    }

    /** @return the joined labels for the entity state, or null when the view has no label feature */
    private static KStream<String, LabelUpdate> addLabelJoin(StreamsBuilder builder, FeatureView view, Topics topics,
            long labelWaitMs, Counters counters) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_PREDICTIONS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_LABELS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(LABEL_EXPIRY_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        KStream<String, byte[]> predictions = builder.stream(topics.predictions(),
            Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("predictions"));
        KStream<String, byte[]> labels = builder.stream(topics.labels(),
            Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("labels"));
        KStream<String, JoinOutput> joined = predictions.merge(labels, Named.as("predictions-and-labels"))
            .process(() -> new LabelJoinProcessor(view, topics, counters, labelWaitMs), Named.as("label-join"),
                PENDING_PREDICTIONS_STORE, PENDING_LABELS_STORE, LABEL_EXPIRY_STORE);
        if (view.label() == null) {
            route(joined.mapValues(value -> (Routed) value, Named.as("label-join-outputs")), "label-join-sink");
            return null;
        }
        Map<String, KStream<String, JoinOutput>> outputs = joined
            .split(Named.as("label-join-"))
            .branch((key, value) -> value instanceof LabelUpdate, Branched.as("labels"))
            .defaultBranch(Branched.as("outputs"));
        route(outputs.get("label-join-outputs").mapValues(value -> (Routed) value, Named.as("label-join-routed")),
            "label-join-sink");
        return outputs.get("label-join-labels").mapValues(value -> (LabelUpdate) value,
            Named.as("label-join-label-updates"));
    }

    /** Writes each value to the topic it names. */
    private static void route(KStream<String, Routed> stream, String name) {
        stream.to((key, value, context) -> value.topic(),
            Produced.with(Serdes.String(), InternalSerdes.routed()).withName(name));
    }
}
