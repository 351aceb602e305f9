package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import dev.freshet.featurestore.FeatureView;
import org.junit.jupiter.api.Test;

/** Transforms and the aggregation functions added to count/sum/mean/min/max, against references computed here. */
class FeatureKindsTest {
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_764_000_000_000L;

    private final FeatureView view = FeatureViewParser.parse("""
        name: kinds
        entity: entity_id
        event_time: event_time
        grace: 1m
        fields:
          - {name: amount, type: number}
          - {name: channel, type: string}
          - {name: memo, type: string, optional: true}
        transforms:
          - {name: amount_log, function: log, field: amount}
          - {name: amount_log_raw, function: log, field: amount, offset: 0}
          - {name: amount_clip, function: clip, field: amount, min: 0, max: 50}
          - {name: amount_bucket, function: bucketize, field: amount, boundaries: [10, 100]}
          - {name: channel_oh, function: one_hot, field: channel, vocabulary: [web, app]}
          - {name: channel_hash, function: hash, field: channel, buckets: 8}
          - {name: memo_tokens, function: tokens, field: memo, buckets: 1024}
        aggregations:
          - {name: amount_sd_10m, function: stddev, field: amount, window: 10m}
          - {name: amount_last_10m, function: last, field: amount, window: 10m}
          - {name: channels_10m, function: distinct_count, field: channel, window: 10m}
          - {name: gap, function: time_since_last}
        """, null);
    private final FeatureComputer computer = new FeatureComputer(view);

    @Test
    void fnvHashMatchesThePublishedTestVectors() {
        assertThat(Transforms.fnv1a64("")).isEqualTo(0xcbf29ce484222325L);
        assertThat(Transforms.fnv1a64("a")).isEqualTo(0xaf63dc4c8601ec8cL);
        assertThat(Transforms.fnv1a64("foobar")).isEqualTo(0x85944171f73967e8L);
    }

    @Test
    void computesNumericTransformsOfTheNewestEvent() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 99.0, "web", null));

        assertThat(computer.features(state))
            .containsEntry("amount_log", Math.log(100.0))
            .containsEntry("amount_log_raw", Math.log(99.0))
            .containsEntry("amount_clip", 50.0)
            .containsEntry("amount_bucket=1", 1.0)
            .doesNotContainKeys("amount_bucket=0", "amount_bucket=2");
    }

    @Test
    void bucketizePutsABoundaryValueInTheBucketAboveIt() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 100.0, "web", null));

        assertThat(computer.features(state)).containsEntry("amount_bucket=2", 1.0);
    }

    @Test
    void leavesOutTheLogOfANonPositiveShiftedValue() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, -3.0, "web", null));

        assertThat(computer.features(state)).doesNotContainKeys("amount_log", "amount_log_raw")
            .containsEntry("amount_clip", 0.0).containsEntry("amount_bucket=0", 1.0);
    }

    @Test
    void oneHotsAVocabularyValueAndMapsAnyOtherToOther() {
        EntityState known = EntityState.empty();
        apply(known, event(T0, 1.0, "app", null));
        EntityState unknown = EntityState.empty();
        apply(unknown, event(T0, 1.0, "pos", null));

        assertThat(computer.features(known)).containsEntry("channel_oh=app", 1.0);
        assertThat(computer.features(unknown)).containsEntry("channel_oh=__other__", 1.0)
            .doesNotContainKey("channel_oh=pos");
    }

    @Test
    void hashesACategoryIntoItsBucket() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 1.0, "pos", null));

        long bucket = Long.remainderUnsigned(Transforms.fnv1a64("pos"), 8);
        assertThat(computer.features(state)).containsEntry("channel_hash=#" + bucket, 1.0);
    }

    @Test
    void countsTheHashedTokensOfATextField() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 1.0, "web", "Refund: refund the DOUBLE charge!"));

        Map<String, Double> expected = new HashMap<>();
        for (String token : List.of("refund", "refund", "the", "double", "charge")) {
            expected.merge("memo_tokens=#" + Long.remainderUnsigned(Transforms.fnv1a64(token), 1024), 1.0,
                Double::sum);
        }
        Map<String, Double> tokens = new HashMap<>(computer.features(state));
        tokens.keySet().removeIf(k -> !k.startsWith("memo_tokens="));
        assertThat(tokens).isEqualTo(expected);
    }

    @Test
    void omitsTransformsOfAnAbsentOptionalField() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 1.0, "web", null));

        assertThat(computer.features(state).keySet()).noneMatch(k -> k.startsWith("memo_tokens"));
    }

    @Test
    void timeSinceLastIsTheGapBetweenTheTwoNewestEvents() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 1.0, "web", null));
        assertThat(computer.features(state)).doesNotContainKey("gap");

        apply(state, event(T0 + 5_000, 1.0, "web", null));
        apply(state, event(T0 + 2_000, 1.0, "web", null));

        // The out-of-order event became the one before the newest.
        assertThat(computer.features(state)).containsEntry("gap", 3_000.0);
    }

    @Test
    void lastIsTheValueOfTheGreatestEventTimeNotTheLatestArrival() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + MINUTE, 7.0, "web", null));
        apply(state, event(T0, 3.0, "web", null));

        assertThat(computer.features(state)).containsEntry("amount_last_10m", 7.0);
    }

    @Test
    void matchesAReferenceOnAShuffledStream() {
        Random random = new Random(7);
        List<String> channels = List.of("web", "app", "pos", "atm", "phone");
        EntityState state = EntityState.empty();
        List<Event> accepted = new ArrayList<>();
        long newest = Long.MIN_VALUE;
        long clock = T0;
        for (int i = 0; i < 1_500; i++) {
            clock += random.nextInt(30_000);
            long lateness = random.nextInt(10) < 8 ? 0 : random.nextInt((int) (5 * MINUTE));
            Event e = event(clock - lateness, Math.round(random.nextGaussian() * 1000) / 10.0,
                channels.get(random.nextInt(channels.size())), null);

            assertThat(computer.apply(state, e)).as("event %d", i).isNull();
            accepted.add(e);
            newest = Math.max(newest, e.eventTimeMs());
            state = EntityStateCodec.decode(EntityStateCodec.encode(state));

            assertMatchesReference(computer.features(state), accepted, newest);
        }
    }

    private static void assertMatchesReference(Map<String, Double> features, List<Event> accepted, long newest) {
        List<Double> amounts = new ArrayList<>();
        Set<Object> channels = new HashSet<>();
        long lastTime = Long.MIN_VALUE;
        double last = Double.NaN;
        List<Long> times = new ArrayList<>();
        for (Event e : accepted) {
            times.add(e.eventTimeMs());
            if (e.eventTimeMs() > newest - 10 * MINUTE && e.eventTimeMs() <= newest) {
                double amount = (Double) e.values().get("amount");
                amounts.add(amount);
                channels.add(e.values().get("channel"));
                if (e.eventTimeMs() >= lastTime) {
                    lastTime = e.eventTimeMs();
                    last = amount;
                }
            }
        }
        double mean = amounts.stream().mapToDouble(d -> d).average().orElseThrow();
        double variance = amounts.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / amounts.size();
        assertThat(features.get("amount_sd_10m")).isCloseTo(Math.sqrt(variance), within(1e-9));
        assertThat(features.get("amount_last_10m")).isEqualTo(last);
        assertThat(features.get("channels_10m")).isEqualTo(channels.size());
        times.sort(null);
        if (times.size() > 1) {
            assertThat(features.get("gap")).isEqualTo((double) (times.get(times.size() - 1) - times.get(times.size() - 2)));
        }
    }

    private void apply(EntityState state, Event event) {
        assertThat(computer.apply(state, event)).isNull();
    }

    private static Event event(long timeMs, double amount, String channel, String memo) {
        Map<String, Object> values = new HashMap<>(Map.of("amount", amount, "channel", channel));
        if (memo != null) {
            values.put("memo", memo);
        }
        return new Event("u-1", timeMs, values);
    }
}
