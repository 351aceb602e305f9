package dev.freshet.featurestore.internal.streams;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import dev.freshet.featurestore.internal.view.Event;
import dev.freshet.featurestore.internal.view.EventCodec;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The serdes of the runner's internal values. */
final class InternalSerdes {
    private InternalSerdes() {
    }

    /** Writes only the value; the topic was already chosen by the sink. Never read back. */
    static Serde<Routed> routed() {
        Serializer<Routed> serializer = (topic, routed) -> routed == null ? null : routed.value();
        Deserializer<Routed> deserializer = (topic, data) -> {
            throw new UnsupportedOperationException("Routed values are written, never read");
        };
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(serializer, deserializer);
    }

    static Serde<EventEnvelope> envelope() {
        Serializer<EventEnvelope> serializer = (topic, envelope) -> envelope == null ? null : encode(envelope);
        Deserializer<EventEnvelope> deserializer = (topic, data) -> data == null ? null : decode(data);
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(serializer, deserializer);
    }

    private static byte[] encode(EventEnvelope envelope) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(envelope.raw().prefix().length * 2 + 128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(envelope.sourcePartition());
            out.writeLong(envelope.sourceOffset());
            out.writeBoolean(envelope.originalKey() != null);
            if (envelope.originalKey() != null) {
                writeBytes(out, envelope.originalKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            writeBytes(out, envelope.raw().prefix());
            EventCodec.write(out, envelope.event());
            // After the event, so that an envelope written before the raw value was bounded still reads: it ends
            // here, and its raw bytes are the whole value.
            out.writeLong(envelope.raw().length());
            writeBytes(out, envelope.raw().sha256());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static EventEnvelope decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int partition = in.readInt();
            long offset = in.readLong();
            String key = in.readBoolean()
                ? new String(readBytes(in), java.nio.charset.StandardCharsets.UTF_8) : null;
            byte[] prefix = readBytes(in);
            Event event = EventCodec.read(in);
            RawValue raw = in.available() > 0 ? new RawValue(prefix, in.readLong(), readBytes(in))
                : RawValue.of(prefix, prefix.length);
            return new EventEnvelope(partition, offset, key, raw, event);
        } catch (IOException e) {
            throw new SerializationException("Corrupt event envelope on the repartition topic", e);
        }
    }

    /** A length-prefixed byte array, as every internal record here writes one. */
    static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static byte[] readBytes(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return bytes;
    }
}
