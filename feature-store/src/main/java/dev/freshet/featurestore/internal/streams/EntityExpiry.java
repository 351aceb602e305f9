package dev.freshet.featurestore.internal.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.internal.view.TimeMath;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Expiry of entities by event time, for one task: an entity whose newest event is {@code ttl} or more older than the
 * newest event time the task has seen is removed. Event time, not the wall clock, so that a replay or a backfill of
 * history expires exactly what the live stream did, and a stopped stream keeps its entities (nothing is newer than
 * them). An index store keyed by (newest event time, entity id) makes a sweep read only the expired entities.
 * Confined to the task's thread.
 */
final class EntityExpiry {
    /** Entities removed per sweep at most, so that one event never stalls the task; the rest go at the next. */
    private static final int SWEEP_LIMIT = 10_000;

    private final long ttlMs;
    private final KeyValueStore<Bytes, byte[]> lastSeen;
    private final KeyValueStore<String, byte[]> states;
    // Not persisted: after a restart the first event sets it again; until then nothing is due.
    private long streamTimeMs = Long.MIN_VALUE;
    private long nextSweepMs = Long.MIN_VALUE;

    EntityExpiry(long ttlMs, KeyValueStore<Bytes, byte[]> lastSeen, KeyValueStore<String, byte[]> states) {
        this.ttlMs = ttlMs;
        this.lastSeen = lastSeen;
        this.states = states;
    }

    /** The TTL configured for the application (its Streams properties carry the feature store's key), or 0. */
    static long ttlMs(Map<String, Object> appConfigs) {
        Object value = appConfigs.get(FeatureStoreConfig.ENTITY_TTL_MS_CONFIG);
        return value == null ? 0 : Long.parseLong(value.toString());
    }

    long ttlMs() {
        return ttlMs;
    }

    /** Moves the entity in the index when its newest event time changed (from null for a new entity). */
    void seen(String entityId, Long newestBefore, long newestNow) {
        if (newestBefore != null && newestBefore == newestNow) {
            return;
        }
        if (newestBefore != null) {
            lastSeen.delete(key(newestBefore, entityId));
        }
        lastSeen.put(key(newestNow, entityId), new byte[0]);
    }

    /**
     * Advances the task's stream time to {@code eventTimeMs} (if later) and, at most every tenth of the TTL of
     * event time, removes the entities whose newest event is at least the TTL older than it.
     *
     * @return the ids of the entities removed, whose states are gone
     */
    List<String> expireUpTo(long eventTimeMs) {
        streamTimeMs = Math.max(streamTimeMs, eventTimeMs);
        if (streamTimeMs < nextSweepMs) {
            return List.of();
        }
        List<Bytes> due = new ArrayList<>();
        long cutoff = TimeMath.minus(streamTimeMs, ttlMs);
        try (KeyValueIterator<Bytes, byte[]> it = lastSeen.range(key(Long.MIN_VALUE, ""), bound(cutoff))) {
            while (it.hasNext() && due.size() < SWEEP_LIMIT) {
                KeyValue<Bytes, byte[]> next = it.next();
                if (timeOf(next.key) <= cutoff) {
                    due.add(next.key);
                }
            }
        }
        List<String> expired = new ArrayList<>(due.size());
        for (Bytes key : due) {
            lastSeen.delete(key);
            String entityId = entityOf(key);
            states.delete(entityId);
            expired.add(entityId);
        }
        nextSweepMs = due.size() == SWEEP_LIMIT ? streamTimeMs
            : TimeMath.plus(streamTimeMs, Math.max(1, ttlMs / 10));
        return expired;
    }

    /** Sign-flipped big-endian time then the entity id, so that byte order is time order for every long. */
    private static Bytes key(long timeMs, String entityId) {
        byte[] id = entityId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(timeMs ^ Long.MIN_VALUE).put(id).array());
    }

    /** The largest index key with time {@code timeMs}: every key of that time or earlier sorts at or below it. */
    private static Bytes bound(long timeMs) {
        if (timeMs == Long.MAX_VALUE) {
            return Bytes.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        }
        // Times are 8 bytes; (time + 1, no id) is above every (time, id).
        return key(timeMs + 1, "");
    }

    private static long timeOf(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong() ^ Long.MIN_VALUE;
    }

    private static String entityOf(Bytes key) {
        byte[] k = key.get();
        return new String(k, 8, k.length - 8, StandardCharsets.UTF_8);
    }
}
