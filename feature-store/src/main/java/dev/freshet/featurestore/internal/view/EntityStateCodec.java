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
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Binary form of {@link EntityState} for a key-value store. Field names are written once per state, so a state
 * written under an earlier version of a view still reads (fields the view no longer has are ignored later).
 */
public final class EntityStateCodec {
    private static final byte FORMAT_1 = 1;
    // Adds the previous event time, each sample's arrival stream time, recent request ids, known labels and the
    // tumbling and hopping windows' running aggregates.
    private static final byte FORMAT_2 = 2;
    // Adds the session windows.
    private static final byte FORMAT = 3;
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
            out.writeLong(state.previousEventTimeMs());
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
                out.writeLong(sample.observedAtMs());
                for (String name : names) {
                    Double v = sample.values().get(name);
                    // NaN marks an absent optional value; accepted values are always finite.
                    out.writeDouble(v == null ? Double.NaN : v);
                }
            }
            out.writeInt(state.recentRequests().size());
            for (EntityState.RequestTime request : state.recentRequests()) {
                writeString(out, request.requestId());
                out.writeLong(request.eventTimeMs());
            }
            out.writeInt(state.labels().size());
            for (EntityState.KnownLabel label : state.labels()) {
                out.writeLong(label.exampleTimeMs());
                writeString(out, label.label());
            }
            out.writeInt(state.windows().size());
            for (Map.Entry<String, TreeMap<Long, WindowPartial>> aggregation : state.windows().entrySet()) {
                writeString(out, aggregation.getKey());
                out.writeInt(aggregation.getValue().size());
                for (Map.Entry<Long, WindowPartial> window : aggregation.getValue().entrySet()) {
                    out.writeLong(window.getKey());
                    writePartial(out, window.getValue());
                }
            }
            out.writeInt(state.sessions().size());
            for (Map.Entry<String, TreeMap<Long, SessionWindow>> aggregation : state.sessions().entrySet()) {
                writeString(out, aggregation.getKey());
                out.writeInt(aggregation.getValue().size());
                for (SessionWindow session : aggregation.getValue().values()) {
                    out.writeLong(session.startMs);
                    out.writeLong(session.endMs);
                    writePartial(out, session.partial);
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
            if (format != FORMAT && format != FORMAT_2 && format != FORMAT_1) {
                throw new IllegalArgumentException("Unknown entity state format " + format);
            }
            boolean v2 = format >= FORMAT_2;
            boolean empty = in.readBoolean();
            long newest = in.readLong();
            long previous = v2 ? in.readLong() : Long.MIN_VALUE;
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
                long observed = v2 ? in.readLong() : time;
                Map<String, Double> values = new HashMap<>();
                for (String name : names) {
                    double v = in.readDouble();
                    if (!Double.isNaN(v)) {
                        values.put(name, v);
                    }
                }
                samples.add(new EntityState.Sample(time, observed, values));
            }
            List<EntityState.RequestTime> requests = new ArrayList<>();
            List<EntityState.KnownLabel> labels = new ArrayList<>();
            Map<String, TreeMap<Long, WindowPartial>> windows = new HashMap<>();
            if (v2) {
                int requestCount = in.readInt();
                for (int i = 0; i < requestCount; i++) {
                    requests.add(new EntityState.RequestTime(readString(in), in.readLong()));
                }
                int labelCount = in.readInt();
                for (int i = 0; i < labelCount; i++) {
                    long exampleTime = in.readLong();
                    labels.add(new EntityState.KnownLabel(exampleTime, readString(in)));
                }
                int aggregations = in.readInt();
                for (int a = 0; a < aggregations; a++) {
                    String name = readString(in);
                    int count = in.readInt();
                    TreeMap<Long, WindowPartial> byStart = new TreeMap<>();
                    for (int w = 0; w < count; w++) {
                        long start = in.readLong();
                        byStart.put(start, readPartial(in));
                    }
                    windows.put(name, byStart);
                }
            }
            Map<String, TreeMap<Long, SessionWindow>> sessions = new HashMap<>();
            if (format >= FORMAT) {
                int aggregations = in.readInt();
                for (int a = 0; a < aggregations; a++) {
                    String name = readString(in);
                    int count = in.readInt();
                    TreeMap<Long, SessionWindow> byStart = new TreeMap<>();
                    for (int w = 0; w < count; w++) {
                        long start = in.readLong();
                        long end = in.readLong();
                        byStart.put(start, new SessionWindow(start, end, readPartial(in)));
                    }
                    sessions.put(name, byStart);
                }
            }
            return new EntityState(empty, newest, previous, latest, samples, requests, labels, windows, sessions);
        } catch (IOException e) {
            throw new IllegalArgumentException("Corrupt entity state: " + e, e);
        }
    }

    private static void writePartial(DataOutputStream out, WindowPartial p) throws IOException {
        out.writeLong(p.count);
        out.writeDouble(p.sum);
        out.writeDouble(p.mean);
        out.writeDouble(p.m2);
        out.writeDouble(p.min);
        out.writeDouble(p.max);
        out.writeLong(p.lastTimeMs);
        out.writeDouble(p.last);
        out.writeInt(p.distinct.size());
        for (double v : p.distinct) {
            out.writeDouble(v);
        }
    }

    private static WindowPartial readPartial(DataInputStream in) throws IOException {
        WindowPartial p = new WindowPartial();
        p.count = in.readLong();
        p.sum = in.readDouble();
        p.mean = in.readDouble();
        p.m2 = in.readDouble();
        p.min = in.readDouble();
        p.max = in.readDouble();
        p.lastTimeMs = in.readLong();
        p.last = in.readDouble();
        int distinct = in.readInt();
        for (int i = 0; i < distinct; i++) {
            p.distinct.add(in.readDouble());
        }
        return p;
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
