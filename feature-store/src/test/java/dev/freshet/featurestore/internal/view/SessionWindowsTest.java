package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.Rejection.Reason;
import org.junit.jupiter.api.Test;

/** Session windows (inactivity gap + grace), against a reference computed here from the same events. */
class SessionWindowsTest {
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_764_000_000_000L;
    private static final long GAP = 5 * MINUTE;
    private static final long GRACE = 2 * MINUTE;

    private final FeatureComputer computer = new FeatureComputer(FeatureViewParser.parse("""
        name: sessions
        entity: entity_id
        event_time: event_time
        grace: 2m
        fields: [{name: amount, type: number}, {name: channel, type: string}]
        aggregations:
          - {name: count, function: count, window: {type: session, gap: 5m}}
          - {name: sum, function: sum, field: amount, window: {type: session, gap: 5m}}
          - {name: mean, function: mean, field: amount, window: {type: session, gap: 5m}}
          - {name: min, function: min, field: amount, window: {type: session, gap: 5m}}
          - {name: max, function: max, field: amount, window: {type: session, gap: 5m}}
          - {name: sd, function: stddev, field: amount, window: {type: session, gap: 5m}}
          - {name: last, function: last, field: amount, window: {type: session, gap: 5m}}
          - {name: channels, function: distinct_count, field: channel, window: {type: session, gap: 5m}}
        """, null));

    /** An accepted event: its time, amount, channel and arrival order. */
    private record Accepted(long timeMs, double amount, String channel, int arrival) {
    }

    @Test
    void anEventWithinTheGapExtendsTheSessionAndOneBeyondItStartsANewOne() {
        EntityState state = EntityState.empty();
        apply(state, T0, 1, "web");
        apply(state, T0 + 4 * MINUTE, 2, "app");
        assertThat(computer.features(state)).containsEntry("count", 2.0).containsEntry("sum", 3.0);

        apply(state, T0 + 9 * MINUTE, 4, "web");

        assertThat(computer.features(state)).containsEntry("count", 1.0).containsEntry("sum", 4.0)
            .containsEntry("channels", 1.0);
    }

    @Test
    void aLateEventThatBridgesTwoSessionsMergesThem() {
        EntityState state = EntityState.empty();
        apply(state, T0, 1, "web");
        apply(state, T0 + 8 * MINUTE, 2, "app");
        assertThat(computer.features(state)).containsEntry("count", 1.0);

        // Less than the gap from both: one session of three events.
        apply(state, T0 + 4 * MINUTE, 4, "pos");

        assertThat(computer.features(state)).containsEntry("count", 3.0).containsEntry("sum", 7.0)
            .containsEntry("last", 2.0).containsEntry("channels", 3.0);
    }

    @Test
    void anEventForASessionClosedBeyondGraceIsRefusedWithItsLateness() {
        EntityState state = EntityState.empty();
        apply(state, T0, 1, "web");
        // Stream time T0 + 20m: an event older than T0 + 13m (gap + grace before it) is late.
        apply(state, T0 + 20 * MINUTE, 2, "web");
        byte[] before = EntityStateCodec.encode(state);

        Rejection late = computer.apply(state, new Event("u-1", T0 + MINUTE, Map.of("amount", 5.0, "channel", "x")));

        assertThat(late.reason()).isEqualTo(Reason.LATE_EVENT);
        assertThat(late.detail()).startsWith("event time " + (T0 + MINUTE) + " is 1140000 ms older")
            .contains("sum: session window with gap 300000 ms, grace 120000 ms");
        assertThat(EntityStateCodec.encode(state)).isEqualTo(before);
    }

    @Test
    void aLateEventWithinGraceJoinsTheSessionItFallsIn() {
        EntityState state = EntityState.empty();
        apply(state, T0, 1, "web");
        apply(state, T0 + 10 * MINUTE, 2, "web");

        // Four minutes older than the stream time (within gap + grace), less than the gap from T0 + 10m and not
        // from T0.
        apply(state, T0 + 6 * MINUTE, 4, "web");

        assertThat(computer.features(state)).containsEntry("count", 2.0).containsEntry("sum", 6.0);
    }

    @Test
    void everyFunctionMatchesAReferenceOnAShuffledStreamWithLateEvents() {
        Random random = new Random(5);
        EntityState state = EntityState.empty();
        List<Accepted> accepted = new ArrayList<>();
        long newest = Long.MIN_VALUE;
        long clock = T0;
        int late = 0;
        int sessionsSeen = 0;
        for (int i = 0; i < 3_000; i++) {
            // Bursts of activity separated by pauses longer than the gap, some events arriving late.
            clock += random.nextInt(10) == 0 ? GAP + random.nextInt((int) (10 * MINUTE)) : random.nextInt(90_000);
            long lateness = random.nextInt(10) < 7 ? 0 : random.nextInt((int) (12 * MINUTE));
            long t = clock - lateness;
            double amount = random.nextInt(1_000) / 10.0;
            String channel = "c" + random.nextInt(5);
            boolean expectLate = newest != Long.MIN_VALUE && t + GAP + GRACE <= newest;

            Rejection rejection = computer.apply(state, new Event("u-1", t, Map.of("amount", amount,
                "channel", channel)));

            assertThat(rejection != null).as("event %d at %d refused as late", i, t).isEqualTo(expectLate);
            if (rejection != null) {
                late++;
                continue;
            }
            newest = Math.max(newest, t);
            accepted.add(new Accepted(t, amount, channel, i));
            state = EntityStateCodec.decode(EntityStateCodec.encode(state));

            List<Accepted> session = sessionHolding(accepted, newest);
            if (session.size() == 1) {
                sessionsSeen++;
            }
            List<Double> amounts = session.stream().map(Accepted::amount).toList();
            double mean = amounts.stream().mapToDouble(d -> d).average().orElseThrow();
            double sd = Math.sqrt(amounts.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / amounts.size());
            Accepted last = session.stream().max(Comparator.comparingLong(Accepted::timeMs)
                .thenComparingInt(Accepted::arrival)).orElseThrow();
            Set<String> channels = new HashSet<>();
            session.forEach(e -> channels.add(e.channel()));

            Map<String, Double> features = computer.features(state);
            assertThat(features.get("count")).as("count after event %d", i).isEqualTo(session.size());
            assertThat(features.get("sum")).isCloseTo(amounts.stream().mapToDouble(d -> d).sum(), within(1e-6));
            assertThat(features.get("mean")).isCloseTo(mean, within(1e-9));
            assertThat(features.get("min")).isEqualTo(amounts.stream().mapToDouble(d -> d).min().orElseThrow());
            assertThat(features.get("max")).isEqualTo(amounts.stream().mapToDouble(d -> d).max().orElseThrow());
            assertThat(features.get("sd")).isCloseTo(sd, within(1e-6));
            assertThat(features.get("last")).isEqualTo(last.amount());
            assertThat(features.get("channels")).isEqualTo(channels.size());
        }
        assertThat(late).as("events refused as late").isBetween(30, 1_500);
        assertThat(sessionsSeen).as("sessions").isGreaterThan(50);
    }

    /** The accepted events of the run holding the newest one with less than the gap between neighbours. */
    private static List<Accepted> sessionHolding(List<Accepted> accepted, long newest) {
        List<Accepted> sorted = new ArrayList<>(accepted);
        sorted.sort(Comparator.comparingLong(Accepted::timeMs));
        int first = sorted.size() - 1;
        while (first > 0 && sorted.get(first).timeMs() - sorted.get(first - 1).timeMs() < GAP) {
            first--;
        }
        assertThat(sorted.get(sorted.size() - 1).timeMs()).isEqualTo(newest);
        return sorted.subList(first, sorted.size());
    }

    private void apply(EntityState state, long timeMs, double amount, String channel) {
        assertThat(computer.apply(state, new Event("u-1", timeMs, Map.of("amount", amount, "channel", channel))))
            .isNull();
    }
}
