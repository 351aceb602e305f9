package dev.freshet.featurestore.internal.streams;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.utils.Bytes;

/** Binary forms of what the label join keeps while one side waits for the other. */
final class PendingEntries {
    static final byte PREDICTION = 'p';
    static final byte LABEL = 'l';

    private PendingEntries() {
    }

    /**
     * A logged prediction waiting for its label.
     *
     * @param storedAtMs the label join's time when it arrived (a record timestamp), for expiry
     * @param entry the {@code PredictionLogEntry} bytes as read
     */
    record PendingPrediction(long storedAtMs, byte[] entry) {
        byte[] encode() {
            return ByteBuffer.allocate(8 + entry.length).putLong(storedAtMs).put(entry).array();
        }

        static PendingPrediction decode(byte[] data) {
            ByteBuffer buffer = ByteBuffer.wrap(data);
            long storedAt = buffer.getLong();
            byte[] entry = new byte[buffer.remaining()];
            buffer.get(entry);
            return new PendingPrediction(storedAt, entry);
        }
    }

    /**
     * A label waiting for its prediction, with what an UNMATCHED_LABEL dead letter needs.
     *
     * @param storedAtMs the label join's time when it arrived (a record timestamp), for expiry
     * @param arrivedAtMs the label record's timestamp
     */
    record PendingLabel(long storedAtMs, long arrivedAtMs, String label, int sourcePartition, long sourceOffset,
            byte[] raw) {
        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length + label.length() + 40);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeLong(storedAtMs);
                out.writeLong(arrivedAtMs);
                byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
                out.writeInt(labelBytes.length);
                out.write(labelBytes);
                out.writeInt(sourcePartition);
                out.writeLong(sourceOffset);
                out.writeInt(raw.length);
                out.write(raw);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        static PendingLabel decode(byte[] data) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
                long storedAt = in.readLong();
                long arrivedAt = in.readLong();
                byte[] label = new byte[in.readInt()];
                in.readFully(label);
                int partition = in.readInt();
                long offset = in.readLong();
                byte[] raw = new byte[in.readInt()];
                in.readFully(raw);
                return new PendingLabel(storedAt, arrivedAt, new String(label, StandardCharsets.UTF_8), partition,
                    offset, raw);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Key of the expiry index: stored-at time (big-endian, so the store's byte order is time order), the kind,
     * then the request id.
     */
    static Bytes expiryKey(long storedAtMs, byte kind, String requestId) {
        byte[] id = requestId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(9 + id.length).putLong(storedAtMs).put(kind).put(id).array());
    }

    /** The smallest index key stored at {@code storedAtMs}; a range up to it holds everything stored before. */
    static Bytes expiryBound(long storedAtMs) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(storedAtMs).array());
    }

    static long storedAt(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong();
    }

    static byte kind(Bytes key) {
        return key.get()[8];
    }

    static String requestId(Bytes key) {
        byte[] k = key.get();
        return new String(k, 9, k.length - 9, StandardCharsets.UTF_8);
    }
}
