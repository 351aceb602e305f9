package dev.freshet.featurestore.internal.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every kind of feature does with a missing value (an absent field or JSON {@code null}), through the real
 * ingestion topology: the event is taken, the field's pass-through and transform features are absent from its
 * vector, windowed aggregations skip it (a count of the field counts the events that have it), and the rest of the
 * vector is computed as usual. Measured first on a replayed weather file, where a gap in one column dead-lettered
 * the whole row and then its label.
 */
class AbsentValuesTest {
    private static final long T0 = 1_767_600_000_000L;
    private static final long MINUTE = 60_000;
    private static final FeatureView WEATHER = FeatureViewParser.parse("""
        name: weather
        entity: station
        event_time: ts
        fields:
          - {name: temp, type: number}
          - {name: sky, type: string}
          - {name: windy, type: boolean}
          - {name: note, type: string, role: input}
          - {name: station_id, path: station, type: string, optional: false}
        transforms:
          - {name: temp_log, function: log, field: temp, offset: 100}
          - {name: note_tokens, function: tokens, field: note, buckets: 16}
        aggregations:
          - {name: temp_mean_1h, function: mean, field: temp, window: 1h}
          - {name: temp_count_1h, function: count, field: temp, window: 1h}
          - {name: events_1h, function: count, window: 1h}
          - {name: temp_sum_hourly, function: sum, field: temp, window: {type: tumbling, size: 1h}}
          - {name: temp_last_session, function: last, field: temp, window: {type: session, gap: 30m}}
          - {name: gap, function: time_since_last}
        """, null);

    @TempDir
    Path stateDir;

    private final Counters counters = new Counters();

    private DrivenTopology ingestion() {
        return new DrivenTopology(FeatureStoreTopology.buildIngestion(WEATHER, DrivenTopology.TOPICS, 60_000,
            counters, 1, () -> true), stateDir);
    }

    @Test
    void aNullOrAbsentValueLeavesItsFeaturesAbsentAndAggregationsSkipIt() {
        try (DrivenTopology driven = ingestion()) {
            driven.event("s1", "{\"station\":\"s1\",\"ts\":" + T0
                + ",\"temp\":10,\"sky\":\"clear\",\"windy\":true,\"note\":\"light rain\"}", T0);
            driven.event("s1", "{\"station\":\"s1\",\"ts\":" + (T0 + MINUTE)
                + ",\"temp\":null,\"sky\":null,\"note\":null}", T0 + MINUTE);
            driven.event("s1", "{\"station\":\"s1\",\"ts\":" + (T0 + 2 * MINUTE) + ",\"temp\":20}", T0 + 2 * MINUTE);

            assertThat(driven.deadLetters()).isEmpty();
            List<KeyValue<String, FeatureVector>> vectors = driven.features();
            assertThat(vectors).hasSize(3);
            Map<String, Double> gap = vectors.get(1).value.getValuesMap();
            assertThat(gap).containsOnly(entry("station_id=s1", 1.0), entry("temp_mean_1h", 10.0),
                entry("temp_count_1h", 1.0), entry("events_1h", 2.0), entry("temp_sum_hourly", 10.0),
                entry("temp_last_session", 10.0), entry("gap", (double) MINUTE));
            Map<String, Double> after = vectors.get(2).value.getValuesMap();
            assertThat(after).contains(entry("temp", 20.0), entry("temp_log", Math.log(120.0)),
                entry("temp_mean_1h", 15.0), entry("temp_count_1h", 2.0), entry("events_1h", 3.0),
                entry("temp_sum_hourly", 30.0), entry("temp_last_session", 20.0));
            assertThat(after).doesNotContainKeys("sky=clear", "windy");
            assertThat(counters.snapshot().featureVectorsOut()).isEqualTo(3);
            assertThat(counters.snapshot().deadLettered()).isEmpty();
        }
    }

    @Test
    void aFieldDeclaredOptionalFalseStillDeadLettersAnEventWithoutIt() {
        try (DrivenTopology driven = ingestion()) {
            driven.event("s1", "{\"ts\":" + T0 + ",\"temp\":10}", T0);

            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter ->
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.MISSING_FIELD));
        }
    }

    /** The measured failure: a tokens transform over a message also one-hot encoded the whole message. */
    @Test
    void anInputOnlyFieldFeedsItsTransformAndIsNeverAFeatureOrACategory() {
        try (DrivenTopology driven = ingestion()) {
            driven.event("s1", "{\"station\":\"s1\",\"ts\":" + T0 + ",\"temp\":10,\"note\":\"light rain\"}", T0);

            Map<String, Double> values = driven.features().get(0).value.getValuesMap();
            assertThat(values.keySet()).noneMatch(name -> name.startsWith("note="));
            assertThat(values.keySet()).anyMatch(name -> name.startsWith("note_tokens"));
        }
    }
}
