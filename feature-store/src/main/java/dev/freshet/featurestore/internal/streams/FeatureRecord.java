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
 * A record of the features topic on its way to its entity's feature history.
 *
 * @param view the view named by the record's key
 * @param vector the {@code FeatureVector} bytes, or null for a tombstone (the entity expired in that view)
 */
record FeatureRecord(String view, byte[] vector) implements HistoryInput {

    static Serde<FeatureRecord> serde() {
        Serializer<FeatureRecord> serializer = (topic, record) -> record == null ? null : record.encode();
        Deserializer<FeatureRecord> deserializer = (topic, data) -> data == null ? null : decode(data);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    private byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((vector == null ? 0 : vector.length) + 32);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            byte[] name = view.getBytes(StandardCharsets.UTF_8);
            out.writeInt(name.length);
            out.write(name);
            out.writeInt(vector == null ? -1 : vector.length);
            if (vector != null) {
                out.write(vector);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static FeatureRecord decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte[] name = new byte[in.readInt()];
            in.readFully(name);
            int length = in.readInt();
            byte[] vector = null;
            if (length >= 0) {
                vector = new byte[length];
                in.readFully(vector);
            }
            return new FeatureRecord(new String(name, StandardCharsets.UTF_8), vector);
        } catch (IOException e) {
            throw new SerializationException("Corrupt feature record on the repartition topic", e);
        }
    }
}
