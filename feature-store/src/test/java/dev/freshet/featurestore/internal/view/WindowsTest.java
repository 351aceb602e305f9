package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.internal.view.Rejection.Reason;
import org.junit.jupiter.api.Test;

/** Tumbling and hopping windows with grace, against a reference computed here from the same events. */
class WindowsTest {
    private static final long MINUTE = 60_000;
    // A multiple of every window size, so that windows start at T0.
    private static final long T0 = 1_764_000_000_000L / (60 * MINUTE) * (60 * MINUTE);
    private static final long SIZE = 10 * MINUTE;
    private static final long ADVANCE = 5 * MINUTE;
    private static final long TUMBLING_GRACE = MINUTE;
    private static final long HOPPING_GRACE = 2 * MINUTE;

    private final FeatureView view = FeatureViewParser.parse("""
        name: windows
        entity: entity_id
        event_time: event_time
        grace: 1m
        fields: [{name: amount, type: number}]
        aggregations:
          - {name: events_t, function: count, window: {type: tumbling, size: 10m}}
          - {name: amount_t, function: sum, field: amount, window: {type: tumbling, size: 10m}}
          - {name: amount_h, function: sum, field: amount, window: {type: hopping, size: 10m, advance: 5m, grace: 2m}}
        """, null);
    private final FeatureComputer computer = new FeatureComputer(view);
    private final Aggregation tumbling = view.aggregations().get(1);
    private final Aggregation hopping = view.aggregations().get(2);

    @Test
    void theTumblingFeatureIsTheWindowHoldingTheNewestEvent() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + MINUTE, 1));
        apply(state, event(T0 + 9 * MINUTE, 2));
        apply(state, event(T0 + SIZE, 4));

        Map<String, Double> features = computer.features(state);
        assertThat(features).containsEntry("events_t", 1.0).containsEntry("amount_t", 4.0);
        // The hopping window holding T0+10m that started earliest is [T0+5m, T0+15m).
        assertThat(features).containsEntry("amount_h", 6.0);
    }

    @Test
    void aLateEventWithinGraceUpdatesTheWindowItBelongsTo() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + MINUTE, 1));
        apply(state, event(T0 + SIZE + 30_000, 2));

        apply(state, event(T0 + 9 * MINUTE, 5));

        assertThat(computer.window(state, tumbling, T0)).isEqualTo(6.0);
        assertThat(computer.features(state)).containsEntry("amount_t", 2.0);
    }

    @Test
    void anEventLateForEveryWindowIsRefusedWithItsLateness() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + MINUTE, 1));
        // Stream time T0+13m: [T0, T0+10m) closed at T0+11m (tumbling) and T0+12m (hopping [T0, T0+10m)), and the
        // hopping window [T0+5m, T0+15m) does not hold T0+4m.
        apply(state, event(T0 + 13 * MINUTE, 2));
        byte[] before = EntityStateCodec.encode(state);

        Rejection late = computer.apply(state, event(T0 + 4 * MINUTE, 9));

        assertThat(late.reason()).isEqualTo(Reason.LATE_EVENT);
        assertThat(late.detail()).startsWith("event time " + (T0 + 4 * MINUTE) + " is 540000 ms older")
            .contains("amount_h: hopping window 600000 ms, grace 120000 ms");
        assertThat(EntityStateCodec.encode(state)).isEqualTo(before);
    }

    @Test
    void anEventInGraceForOneHoppingWindowButNotAnotherUpdatesOnlyTheOpenOne() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + 6 * MINUTE, 1));
        // Stream time T0+13m: hopping [T0, T0+10m) is closed (T0+12m), [T0+5m, T0+15m) is open.
        apply(state, event(T0 + 13 * MINUTE, 2));

        apply(state, event(T0 + 7 * MINUTE, 5));

        assertThat(computer.window(state, hopping, T0)).isEqualTo(1.0);
        assertThat(computer.window(state, hopping, T0 + 5 * MINUTE)).isEqualTo(8.0);
        // Too late for its tumbling window [T0, T0+10m), which closed at T0+11m.
        assertThat(computer.window(state, tumbling, T0)).isEqualTo(1.0);
    }

    @Test
    void matchesAReferenceOnAShuffledStreamWithLateEvents() {
        Random random = new Random(11);
        EntityState state = EntityState.empty();
        List<long[]> accepted = new ArrayList<>(); // {event time, amount, stream time after it arrived}
        long newest = Long.MIN_VALUE;
        long clock = T0;
        int late = 0;
        for (int i = 0; i < 2_000; i++) {
            clock += random.nextInt(40_000);
            long lateness = random.nextInt(10) < 6 ? 0 : random.nextInt((int) (15 * MINUTE));
            long t = clock - lateness;
            long amount = random.nextInt(100);
            boolean expectLate = newest != Long.MIN_VALUE && t < newest
                && !open(t, newest, SIZE, TUMBLING_GRACE) && !open(t, newest, ADVANCE, HOPPING_GRACE);

            Rejection rejection = computer.apply(state, event(t, amount));

            assertThat(rejection != null).as("event %d refused as late", i).isEqualTo(expectLate);
            if (rejection != null) {
                late++;
            } else {
                newest = newest == Long.MIN_VALUE ? t : Math.max(newest, t);
                accepted.add(new long[] {t, amount, newest});
            }
            state = EntityStateCodec.decode(EntityStateCodec.encode(state));

            Map<String, Double> features = computer.features(state);
            long tumblingStart = Math.floorDiv(newest, SIZE) * SIZE;
            assertThat(features.get("amount_t")).isCloseTo(reference(accepted, tumblingStart, SIZE, TUMBLING_GRACE),
                within(1e-9));
            assertThat(features.get("events_t")).isEqualTo(count(accepted, tumblingStart, SIZE, TUMBLING_GRACE));
            long hoppingStart = (Math.floorDiv(newest - SIZE, ADVANCE) + 1) * ADVANCE;
            assertThat(features.get("amount_h")).isCloseTo(reference(accepted, hoppingStart, SIZE, HOPPING_GRACE),
                within(1e-9));
            // Every window still open matches too, including the ones late events went to.
            for (long start = hoppingStart - 2 * ADVANCE; start <= hoppingStart; start += ADVANCE) {
                if (start + SIZE + HOPPING_GRACE > newest) {
                    assertThat(computer.window(state, hopping, start)).as("hopping window at %d", start)
                        .isCloseTo(reference(accepted, start, SIZE, HOPPING_GRACE), within(1e-9));
                }
            }
            long previousTumbling = tumblingStart - SIZE;
            if (previousTumbling + SIZE + TUMBLING_GRACE > newest) {
                assertThat(computer.window(state, tumbling, previousTumbling))
                    .isCloseTo(reference(accepted, previousTumbling, SIZE, TUMBLING_GRACE), within(1e-9));
            }
        }
        assertThat(late).as("events refused as late").isBetween(50, 1_000);
    }

    @Test
    void everyFunctionOfATumblingWindowMatchesAReference() {
        FeatureComputer all = new FeatureComputer(FeatureViewParser.parse("""
            name: functions
            entity: entity_id
            event_time: event_time
            fields: [{name: amount, type: number}, {name: channel, type: string}]
            aggregations:
              - {name: sd, function: stddev, field: amount, window: {type: tumbling, size: 10m}}
              - {name: last, function: last, field: amount, window: {type: tumbling, size: 10m}}
              - {name: min, function: min, field: amount, window: {type: tumbling, size: 10m}}
              - {name: max, function: max, field: amount, window: {type: tumbling, size: 10m}}
              - {name: mean, function: mean, field: amount, window: {type: tumbling, size: 10m}}
              - {name: channels, function: distinct_count, field: channel, window: {type: tumbling, size: 10m}}
            """, null));
        Random random = new Random(2);
        EntityState state = EntityState.empty();
        List<Object[]> events = new ArrayList<>();
        long clock = T0;
        for (int i = 0; i < 1_000; i++) {
            clock += random.nextInt(20_000);
            double amount = random.nextInt(1000) / 10.0;
            String channel = "c" + random.nextInt(6);
            assertThat(all.apply(state, new Event("u-1", clock, Map.of("amount", amount, "channel", channel))))
                .isNull();
            events.add(new Object[] {clock, amount, channel});
            state = EntityStateCodec.decode(EntityStateCodec.encode(state));

            long start = Math.floorDiv(clock, SIZE) * SIZE;
            List<Double> amounts = new ArrayList<>();
            java.util.Set<Object> channels = new java.util.HashSet<>();
            for (Object[] e : events) {
                if ((long) e[0] >= start) {
                    amounts.add((double) e[1]);
                    channels.add(e[2]);
                }
            }
            double mean = amounts.stream().mapToDouble(d -> d).average().orElseThrow();
            double sd = Math.sqrt(amounts.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / amounts.size());
            Map<String, Double> features = all.features(state);
            assertThat(features.get("sd")).isCloseTo(sd, within(1e-9));
            assertThat(features.get("mean")).isCloseTo(mean, within(1e-9));
            assertThat(features.get("last")).isEqualTo(amounts.get(amounts.size() - 1));
            assertThat(features.get("min")).isEqualTo(amounts.stream().mapToDouble(d -> d).min().orElseThrow());
            assertThat(features.get("max")).isEqualTo(amounts.stream().mapToDouble(d -> d).max().orElseThrow());
            assertThat(features.get("channels")).isEqualTo(channels.size());
        }
    }

    /** Whether some window of the layout holding t is still open at the given stream time. */
    private static boolean open(long t, long streamTime, long advance, long grace) {
        long lastEnd = Math.floorDiv(t, advance) * advance + SIZE;
        return streamTime < lastEnd + grace;
    }

    private static double reference(List<long[]> accepted, long start, long size, long grace) {
        double sum = 0;
        for (long[] e : accepted) {
            if (e[0] >= start && e[0] < start + size && e[2] < start + size + grace) {
                sum += e[1];
            }
        }
        return sum;
    }

    private static double count(List<long[]> accepted, long start, long size, long grace) {
        int n = 0;
        for (long[] e : accepted) {
            if (e[0] >= start && e[0] < start + size && e[2] < start + size + grace) {
                n++;
            }
        }
        return n;
    }

    private void apply(EntityState state, Event event) {
        assertThat(computer.apply(state, event)).isNull();
    }

    private static Event event(long timeMs, double amount) {
        return new Event("u-1", timeMs, Map.of("amount", amount));
    }
}
