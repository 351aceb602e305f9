package dev.freshet.featurestore.internal.view;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** Binary form of a parsed {@link Event}, so a runner can move it between stages without parsing JSON again. */
public final class EventCodec {
    private EventCodec() {
    }

    public static void write(DataOutputStream out, Event event) throws IOException {
        EntityStateCodec.writeString(out, event.entityId());
        out.writeLong(event.eventTimeMs());
        out.writeInt(event.values().size());
        for (Map.Entry<String, Object> e : event.values().entrySet()) {
            EntityStateCodec.writeString(out, e.getKey());
            EntityStateCodec.writeValue(out, e.getValue());
        }
        out.writeBoolean(event.requestId() != null);
        if (event.requestId() != null) {
            EntityStateCodec.writeString(out, event.requestId());
        }
    }

    public static Event read(DataInputStream in) throws IOException {
        String entityId = EntityStateCodec.readString(in);
        long eventTimeMs = in.readLong();
        int n = in.readInt();
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < n; i++) {
            values.put(EntityStateCodec.readString(in), EntityStateCodec.readValue(in));
        }
        String requestId = in.readBoolean() ? EntityStateCodec.readString(in) : null;
        return new Event(entityId, eventTimeMs, values, requestId);
    }
}
