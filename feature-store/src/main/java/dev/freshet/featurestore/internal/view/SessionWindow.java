package dev.freshet.featurestore.internal.view;

/**
 * One session of a session-window aggregation: the times of its first and last events and their running aggregate.
 * Mutable; confined to the thread processing the entity.
 */
final class SessionWindow {
    long startMs;
    long endMs;
    final WindowPartial partial;

    SessionWindow(long startMs, long endMs, WindowPartial partial) {
        this.startMs = startMs;
        this.endMs = endMs;
        this.partial = partial;
    }

    /** Whether an event at {@code t} is less than {@code gapMs} from this session's events, so it joins it. */
    boolean reaches(long t, long gapMs) {
        return t > TimeMath.minus(startMs, gapMs) && t < TimeMath.plus(endMs, gapMs);
    }

    /** Takes in another session (one an event has bridged this one to). */
    void absorb(SessionWindow other) {
        startMs = Math.min(startMs, other.startMs);
        endMs = Math.max(endMs, other.endMs);
        partial.merge(other.partial);
    }
}
