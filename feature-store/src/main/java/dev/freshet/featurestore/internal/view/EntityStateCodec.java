package dev.freshet.featurestore.internal.view;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Binary form of {@link EntityState} for a key-value store. Field names are written once per state, so a state
 * written under an earlier version of a view still reads (fields the view no longer has are ignored later).
 */
public final class EntityStateCodec {
    private static final byte FORMAT = 1;
    private static final byte NUMBER = 'n';
    private static final byte STRING = 's';
    private static final byte BOOLEAN = 'b';

    private EntityStateCodec() {
    }

    public static byte[] encode(EntityState state) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + state.samples().size() * 16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeBoolean(state.isEmpty());
            out.writeLong(state.newestEventTimeMs());
            out.writeInt(state.latestValues().size());
            for (Map.Entry<String, Object> e : state.latestValues().entrySet()) {
                writeString(out, e.getKey());
                writeValue(out, e.getValue());
            }
            List<String> names = new ArrayList<>(new TreeSet<>(sampleFieldNames(state)));
            out.writeInt(names.size());
            for (String name : names) {
                writeString(out, name);
            }
            out.writeInt(state.samples().size());
            for (EntityState.Sample sample : state.samples()) {
                out.writeLong(sample.eventTimeMs());
                for (String name : names) {
                    Double v = sample.values().get(name);
                    // NaN marks an absent optional value; accepted values are always finite.
                    out.writeDouble(v == null ? Double.NaN : v);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException when the bytes are not an encoded state */
    public static EntityState decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("Unknown entity state format " + format);
            }
            boolean empty = in.readBoolean();
            long newest = in.readLong();
            int latestCount = in.readInt();
            Map<String, Object> latest = new HashMap<>();
            for (int i = 0; i < latestCount; i++) {
                latest.put(readString(in), readValue(in));
            }
            String[] names = new String[in.readInt()];
            for (int i = 0; i < names.length; i++) {
                names[i] = readString(in);
            }
            int sampleCount = in.readInt();
            List<EntityState.Sample> samples = new ArrayList<>(sampleCount);
            for (int s = 0; s < sampleCount; s++) {
                long time = in.readLong();
                Map<String, Double> values = new HashMap<>();
                for (String name : names) {
                    double v = in.readDouble();
                    if (!Double.isNaN(v)) {
                        values.put(name, v);
                    }
                }
                samples.add(new EntityState.Sample(time, values));
            }
            return new EntityState(empty, newest, latest, samples);
        } catch (IOException e) {
            throw new IllegalArgumentException("Corrupt entity state: " + e, e);
        }
    }

    private static List<String> sampleFieldNames(EntityState state) {
        List<String> names = new ArrayList<>();
        for (EntityState.Sample sample : state.samples()) {
            names.addAll(sample.values().keySet());
        }
        return names;
    }

    static void writeValue(DataOutputStream out, Object value) throws IOException {
        if (value instanceof Double d) {
            out.writeByte(NUMBER);
            out.writeDouble(d);
        } else if (value instanceof String s) {
            out.writeByte(STRING);
            writeString(out, s);
        } else if (value instanceof Boolean b) {
            out.writeByte(BOOLEAN);
            out.writeBoolean(b);
        } else {
            throw new IllegalArgumentException("Unsupported value " + value.getClass().getName());
        }
    }

    // Not writeUTF: it refuses strings over 64 KiB, and an event's string value may be longer.
    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    static String readString(DataInputStream in) throws IOException {
        byte[] utf8 = new byte[in.readInt()];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    static Object readValue(DataInputStream in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case NUMBER -> in.readDouble();
            case STRING -> readString(in);
            case BOOLEAN -> in.readBoolean();
            default -> throw new IOException("unknown value tag " + tag);
        };
    }
}
