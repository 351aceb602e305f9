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
    static final String ENTITY_STATE_STORE = "entity-state";
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
        StreamsBuilder builder = new StreamsBuilder();
        addIngestion(builder, view, topics, counters);
        addLabelJoin(builder, view, topics, labelWaitMs, counters);
        return builder.build();
    }

    private static void addIngestion(StreamsBuilder builder, FeatureView view, Topics topics, Counters counters) {
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
        KStream<String, Routed> aggregated = parsed.get("events-accepted")
            .mapValues(value -> (EventEnvelope) value, Named.as("events-parsed"))
            .repartition(Repartitioned.with(Serdes.String(), InternalSerdes.envelope())
                .withName("events-by-entity"))
            .process(() -> new AggregateProcessor(view, topics, counters), Named.as("aggregate"),
                ENTITY_STATE_STORE);
        route(aggregated, "aggregate-sink");
    }

    private static void addLabelJoin(StreamsBuilder builder, FeatureView view, Topics topics, long labelWaitMs,
            Counters counters) {
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
        KStream<String, Routed> joined = predictions.merge(labels, Named.as("predictions-and-labels"))
            .process(() -> new LabelJoinProcessor(view, topics, counters, labelWaitMs), Named.as("label-join"),
                PENDING_PREDICTIONS_STORE, PENDING_LABELS_STORE, LABEL_EXPIRY_STORE);
        route(joined, "label-join-sink");
    }

    /** Writes each value to the topic it names. */
    private static void route(KStream<String, Routed> stream, String name) {
        stream.to((key, value, context) -> value.topic(),
            Produced.with(Serdes.String(), InternalSerdes.routed()).withName(name));
    }
}
