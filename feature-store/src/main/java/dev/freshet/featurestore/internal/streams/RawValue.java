package dev.freshet.featurestore.internal.streams;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * What a dead letter keeps of a record's value: at most a bounded prefix, with the whole value's length and SHA-256,
 * so that a dead letter always fits on its topic and still identifies the record it stands for.
 *
 * @param prefix the value's first bytes (all of it when short enough); never null
 * @param length the whole value's length in bytes; 0 for a tombstone
 * @param sha256 the whole value's SHA-256; empty for a tombstone
 */
record RawValue(byte[] prefix, long length, byte[] sha256) {
    static final RawValue NONE = new RawValue(new byte[0], 0, new byte[0]);

    /** @param raw the value as read, null for a tombstone */
    static RawValue of(byte[] raw, int maxPrefixBytes) {
        if (raw == null) {
            return NONE;
        }
        byte[] prefix = raw.length <= maxPrefixBytes ? raw : Arrays.copyOf(raw, maxPrefixBytes);
        return new RawValue(prefix, raw.length, sha256(raw));
    }

    /** The same record with a shorter prefix, when its prefix is longer than {@code maxPrefixBytes}. */
    RawValue bounded(int maxPrefixBytes) {
        return prefix.length <= maxPrefixBytes ? this
            : new RawValue(Arrays.copyOf(prefix, maxPrefixBytes), length, sha256);
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }
}
