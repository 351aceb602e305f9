package dev.freshet.featurestore.internal.streams;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A label on its way from the label join (partitioned by request id) to its entity's state (partitioned by
 * entity), for the view's label feature: a label joined by request id, or a label naming the entity and an event
 * time.
 *
 * <p>Encoding: the three strings, then (since labels by entity and event time reach the state) the example's event
 * time. A record written before that has no time and decodes with {@link #UNKNOWN_TIME}, as it meant then.
 *
 * @param requestId the prediction's request id, or empty for a label by entity and event time
 * @param exampleTimeMs the labelled event's time when the label names it, else {@link #UNKNOWN_TIME}
 */
record LabelUpdate(String entityId, String requestId, String label, long exampleTimeMs)
        implements JoinOutput, EntityInput {
    static final long UNKNOWN_TIME = Long.MIN_VALUE;

    static Serde<LabelUpdate> serde() {
        Serializer<LabelUpdate> serializer = (topic, update) -> update == null ? null : update.encode();
        Deserializer<LabelUpdate> deserializer = (topic, data) -> data == null ? null : decode(data);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    private byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (String s : new String[] {entityId, requestId, label}) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(utf8.length);
                out.write(utf8);
            }
            out.writeLong(exampleTimeMs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static LabelUpdate decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            String[] parts = new String[3];
            for (int i = 0; i < 3; i++) {
                byte[] utf8 = new byte[in.readInt()];
                in.readFully(utf8);
                parts[i] = new String(utf8, StandardCharsets.UTF_8);
            }
            long exampleTime = in.available() >= Long.BYTES ? in.readLong() : UNKNOWN_TIME;
            return new LabelUpdate(parts[0], parts[1], parts[2], exampleTime);
        } catch (IOException e) {
            throw new SerializationException("Corrupt label update on the repartition topic", e);
        }
    }
}
