package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.Rejection.Reason;
import org.junit.jupiter.api.Test;

class FeatureComputerTest {
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_764_000_000_000L;

    private final FeatureView view = Views.transactions();
    private final FeatureComputer computer = new FeatureComputer(view);

    @Test
    void aggregatesTheTrailingWindowEndingAtTheNewestEvent() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 10, "web"));
        apply(state, event(T0 + 5 * MINUTE, 20, "app"));
        apply(state, event(T0 + 11 * MINUTE, 40, "web"));

        // The window (T0+1m, T0+11m] has dropped the first event.
        assertThat(computer.features(state)).containsExactlyInAnyOrderEntriesOf(Map.of(
            "amount", 40.0, "velocity", 0.5, "channel=web", 1.0, "is_new_device", 0.0,
            "amount_mean_10m", 30.0, "amount_max_10m", 40.0, "events_10m", 2.0));
    }

    @Test
    void aggregatesEventsAtTheLargestTimeWithoutOverflow() {
        // The parser refuses such times (featurestore.event.time.*); the arithmetic still must not wrap.
        EntityState state = EntityState.empty();
        apply(state, event(Long.MAX_VALUE - MINUTE, 10, "web"));
        apply(state, event(Long.MAX_VALUE, 30, "web"));

        assertThat(computer.features(state)).containsEntry("events_10m", 2.0).containsEntry("amount_mean_10m", 20.0)
            .containsEntry("amount_max_10m", 30.0);
    }

    @Test
    void excludesAnEventExactlyOneWindowOld() {
        EntityState state = EntityState.empty();
        apply(state, event(T0, 10, "web"));
        apply(state, event(T0 + 10 * MINUTE, 20, "web"));

        assertThat(computer.features(state)).containsEntry("events_10m", 1.0);
    }

    @Test
    void foldsAnOutOfOrderEventIntoTheWindowsWithoutChangingTheLatestValues() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + 5 * MINUTE, 20, "app"));
        apply(state, event(T0 + MINUTE, 50, "web"));

        Map<String, Double> features = computer.features(state);
        assertThat(features).containsEntry("amount", 20.0).containsEntry("channel=app", 1.0)
            .containsEntry("amount_max_10m", 50.0).containsEntry("events_10m", 2.0);
        assertThat(state.newestEventTimeMs()).isEqualTo(T0 + 5 * MINUTE);
    }

    @Test
    void refusesAnEventOlderThanWindowPlusGraceAndKeepsTheState() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + 20 * MINUTE, 20, "web"));
        byte[] before = EntityStateCodec.encode(state);

        Rejection late = computer.apply(state, event(T0 + 20 * MINUTE - 10 * MINUTE - 30_001, 99, "web"));

        assertThat(late.reason()).isEqualTo(Reason.LATE_EVENT);
        assertThat(late.field()).isEqualTo("event_time");
        assertThat(late.detail()).contains("events_10m: trailing window 600000 ms, grace 30000 ms");
        assertThat(EntityStateCodec.encode(state)).isEqualTo(before);
    }

    @Test
    void acceptsAnEventExactlyAtTheLateBoundary() {
        EntityState state = EntityState.empty();
        apply(state, event(T0 + 20 * MINUTE, 20, "web"));

        assertThat(computer.apply(state, event(T0 + 20 * MINUTE - 10 * MINUTE - 30_000, 99, "web"))).isNull();
        // Accepted, yet outside every window ending at the newest event.
        assertThat(computer.features(state)).containsEntry("events_10m", 1.0);
    }

    @Test
    void matchesABruteForceReferenceOnAShuffledStream() {
        Random random = new Random(42);
        EntityState state = EntityState.empty();
        List<Event> accepted = new ArrayList<>();
        long newest = Long.MIN_VALUE;
        long clock = T0;
        for (int i = 0; i < 2_000; i++) {
            clock += random.nextInt(20_000);
            // Mostly in order, some late within grace, a few beyond window + grace.
            long lateness = random.nextInt(10) < 7 ? 0 : random.nextInt(10) < 9 ? random.nextInt(40_000)
                : 10 * MINUTE + 30_000 + 1 + random.nextInt(60_000);
            Event e = event(clock - lateness, Math.round(random.nextDouble() * 1000) / 10.0, "web");
            boolean late = newest != Long.MIN_VALUE && e.eventTimeMs() < newest - (10 * MINUTE + 30_000);

            Rejection rejection = computer.apply(state, e);

            assertThat(rejection != null).as("event %d late", i).isEqualTo(late);
            if (!late) {
                accepted.add(e);
                newest = Math.max(newest, e.eventTimeMs());
            }
            // Round-trip through the store's bytes as the runner does.
            state = EntityStateCodec.decode(EntityStateCodec.encode(state));
            assertMatchesReference(computer.features(state), accepted, newest);
        }
    }

    private static void assertMatchesReference(Map<String, Double> features, List<Event> accepted, long newest) {
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        int count = 0;
        for (Event e : accepted) {
            if (e.eventTimeMs() > newest - 10 * MINUTE && e.eventTimeMs() <= newest) {
                double amount = (Double) e.values().get("amount");
                sum += amount;
                max = Math.max(max, amount);
                count++;
            }
        }
        assertThat(features.get("events_10m")).isEqualTo(count);
        assertThat(features.get("amount_max_10m")).isEqualTo(max);
        assertThat(features.get("amount_mean_10m")).isCloseTo(sum / count, within(1e-9));
    }

    private void apply(EntityState state, Event event) {
        assertThat(computer.apply(state, event)).isNull();
    }

    private static Event event(long timeMs, double amount, String channel) {
        return new Event("u-1", timeMs,
            Map.of("amount", amount, "velocity", 0.5, "channel", channel, "is_new_device", false));
    }
}
