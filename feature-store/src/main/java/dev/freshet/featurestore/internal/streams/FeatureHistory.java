package dev.freshet.featurestore.internal.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Each entity's recent feature vectors per view, in a store keyed by entity, view, then the sign-flipped big-endian
 * event time, so that byte order is time order within a view and every lookup is a seek: a label reads, per view,
 * the one vector at or before its time with a reverse range, and skips to the next view past the last possible key
 * of this one, so its cost grows with the entity's views, not with how many vectors they keep. The layout is the
 * one the {@code feature-history} store always had.
 */
final class FeatureHistory {
    private static final byte[] AFTER_ENTITY = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};

    private final KeyValueStore<Bytes, byte[]> store;

    FeatureHistory(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    /** One view's vectors of the entity as a label at some time sees them. */
    record ViewAsOf(String view, long oldestMs, long newestMs, long asOfMs, byte[] asOf) {
    }

    /**
     * For each view holding vectors of the entity: its oldest and newest kept event times and the newest vector at
     * or before {@code timeMs} ({@code asOf} null when every kept vector is later).
     */
    List<ViewAsOf> asOf(String entityId, long timeMs) {
        List<ViewAsOf> views = new ArrayList<>();
        Bytes from = prefix(entityId);
        Bytes end = Bytes.wrap(concat(prefix(entityId).get(), AFTER_ENTITY));
        while (true) {
            Bytes first = firstKey(from, end);
            if (first == null) {
                return views;
            }
            String view = viewOf(first);
            Bytes lowest = key(entityId, view, Long.MIN_VALUE);
            KeyValue<Bytes, byte[]> newest = lastEntry(lowest, key(entityId, view, Long.MAX_VALUE));
            long newestMs = timeOf(newest.key);
            KeyValue<Bytes, byte[]> asOf = newestMs <= timeMs ? newest
                : lastEntry(lowest, key(entityId, view, timeMs));
            views.add(new ViewAsOf(view, timeOf(first), newestMs, asOf == null ? Long.MIN_VALUE : timeOf(asOf.key),
                asOf == null ? null : asOf.value));
            // Past the largest key this view can have: the next key is another view's.
            from = Bytes.wrap(concat(key(entityId, view, Long.MAX_VALUE).get(), new byte[] {0}));
        }
    }

    /**
     * Keeps the vector and drops the view's vectors older than {@code historyMs} behind it, except the newest of
     * those, which still holds from its time until the next vector's.
     */
    void add(String entityId, String view, long eventTimeMs, byte[] vector, long historyMs) {
        store.put(key(entityId, view, eventTimeMs), vector);
        List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.prefixScan(prefix(entityId, view), new BytesSerializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> next = it.next();
                if (timeOf(next.key) >= eventTimeMs - historyMs) {
                    break;
                }
                expired.add(next.key);
            }
        }
        for (int i = 0; i < expired.size() - 1; i++) {
            store.delete(expired.get(i));
        }
    }

    /** Drops the entity's vectors of the view (the entity expired there). */
    void remove(String entityId, String view) {
        List<Bytes> all = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.prefixScan(prefix(entityId, view), new BytesSerializer())) {
            it.forEachRemaining(kv -> all.add(kv.key));
        }
        all.forEach(store::delete);
    }

    private Bytes firstKey(Bytes from, Bytes to) {
        try (KeyValueIterator<Bytes, byte[]> it = store.range(from, to)) {
            return it.hasNext() ? it.next().key : null;
        }
    }

    private KeyValue<Bytes, byte[]> lastEntry(Bytes from, Bytes to) {
        try (KeyValueIterator<Bytes, byte[]> it = store.reverseRange(from, to)) {
            return it.hasNext() ? it.next() : null;
        }
    }

    /** Entity, view, then the sign-flipped big-endian event time: byte order is time order within a view. */
    static Bytes key(String entityId, String view, long eventTimeMs) {
        byte[] p = prefix(entityId, view).get();
        return Bytes.wrap(ByteBuffer.allocate(p.length + 8).put(p).putLong(eventTimeMs ^ Long.MIN_VALUE).array());
    }

    /** The entity's length-prefixed UTF-8 id: every key of the entity, in any store keyed by entity, starts so. */
    static Bytes prefix(String entityId) {
        byte[] entity = entityId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(4 + entity.length).putInt(entity.length).put(entity).array());
    }

    private static Bytes prefix(String entityId, String view) {
        byte[] name = view.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(concat(prefix(entityId).get(),
            ByteBuffer.allocate(4 + name.length).putInt(name.length).put(name).array()));
    }

    private static long timeOf(Bytes key) {
        byte[] k = key.get();
        return ByteBuffer.wrap(k, k.length - 8, 8).getLong() ^ Long.MIN_VALUE;
    }

    private static String viewOf(Bytes key) {
        ByteBuffer buffer = ByteBuffer.wrap(key.get());
        buffer.position(4 + buffer.getInt());
        byte[] name = new byte[buffer.getInt()];
        buffer.get(name);
        return new String(name, StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
