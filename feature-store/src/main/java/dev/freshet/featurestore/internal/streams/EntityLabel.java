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
 * A label naming an entity and an event time (no request id), on its way from the labels topic to the entity's
 * feature history, with what a dead letter needs.
 *
 * @param arrivedAtMs the label record's timestamp
 */
record EntityLabel(String entityId, long eventTimeMs, String label, long arrivedAtMs, int sourcePartition,
        long sourceOffset, byte[] raw) implements JoinOutput, HistoryInput {

    static Serde<EntityLabel> serde() {
        Serializer<EntityLabel> serializer = (topic, label) -> label == null ? null : label.encode();
        Deserializer<EntityLabel> deserializer = (topic, data) -> data == null ? null : decode(data);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            InternalSerdes.writeBytes(out, entityId.getBytes(StandardCharsets.UTF_8));
            out.writeLong(eventTimeMs);
            InternalSerdes.writeBytes(out, label.getBytes(StandardCharsets.UTF_8));
            out.writeLong(arrivedAtMs);
            out.writeInt(sourcePartition);
            out.writeLong(sourceOffset);
            InternalSerdes.writeBytes(out, raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static EntityLabel decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            String entity = new String(InternalSerdes.readBytes(in), StandardCharsets.UTF_8);
            long eventTime = in.readLong();
            String label = new String(InternalSerdes.readBytes(in), StandardCharsets.UTF_8);
            return new EntityLabel(entity, eventTime, label, in.readLong(), in.readInt(), in.readLong(),
                InternalSerdes.readBytes(in));
        } catch (IOException e) {
            throw new SerializationException("Corrupt entity label on the repartition topic", e);
        }
    }
}
