package dev.freshet.featurestore.internal.streams;

import java.nio.ByteBuffer;

import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The bounded vocabulary of each string field's one-hot features in one task (featurestore.category.max.values):
 * the first {@code maxValues} distinct values the task reads for a field, in the order it reads them, are its
 * categories; any later new value is encoded as the overflow feature {@code <field>=__other__}. Kept in a
 * changelogged store, so a restart or a replay of the same partition admits the same values. Each task keeps its
 * own: partitions can disagree on which rare values overflow, which only decides whether a value that arrived
 * after the bound was reached is its own feature or the overflow one. Confined to the task's thread.
 */
final class CategoryVocabulary {
    // Value keys hold a NUL, which a field name never does; a field's own name keys its count.
    private static final char SEPARATOR = '\u0000';
    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<String, byte[]> store;
    private final int maxValues;

    CategoryVocabulary(KeyValueStore<String, byte[]> store, int maxValues) {
        this.store = store;
        this.maxValues = maxValues;
    }

    /** Whether {@code value} is one of the field's categories, admitting it while the field has room. */
    boolean admit(String field, String value) {
        String key = field + SEPARATOR + value;
        if (store.get(key) != null) {
            return true;
        }
        byte[] stored = store.get(field);
        int count = stored == null ? 0 : ByteBuffer.wrap(stored).getInt();
        if (count >= maxValues) {
            return false;
        }
        store.put(key, PRESENT);
        store.put(field, ByteBuffer.allocate(4).putInt(count + 1).array());
        return true;
    }
}
