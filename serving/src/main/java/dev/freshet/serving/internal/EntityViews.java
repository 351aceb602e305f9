package dev.freshet.serving.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.FeatureVector;

/**
 * One entity's feature vectors, one per feature view, as the replica stores them: the vectors merged into the one
 * map every lookup wants, followed by each view's own vector so that a later record or tombstone of one view can
 * replace or remove just that view. Merging on write keeps a lookup at one read and one decode, however many views
 * the entity has; the merged values are plain names and numbers rather than a protobuf message, which a lookup
 * would have to parse into a map only to copy it again. Immutable.
 *
 * <p>The unnamed view {@code ""} holds a record written under a legacy key (the bare entity id, before keys became
 * {@code <view>/<entity id>}); it counts only while no named view has written the entity, since a named view's
 * vector supersedes the legacy one.
 *
 * <p>Layout: {@code int mergedLength, merged values, int count, count × (int viewLength, view UTF-8,
 * int vectorLength, FeatureVector)}, where the merged values are {@code int count, count × (int nameLength,
 * name UTF-8, double value)}. The replica is rebuilt from the topic at every start, so the layout may change
 * between releases.
 */
final class EntityViews {
    static final String LEGACY_VIEW = "";

    private final TreeMap<String, FeatureVector> byView;

    private EntityViews(TreeMap<String, FeatureVector> byView) {
        this.byView = byView;
    }

    static EntityViews empty() {
        return new EntityViews(new TreeMap<>());
    }

    /**
     * The merged values of a stored record, reading only its first part, in a new map with room for
     * {@code extraCapacity} more entries (a request's own fields).
     */
    static HashMap<String, Double> mergedValues(byte[] stored, int extraCapacity) {
        ByteBuffer buffer = ByteBuffer.wrap(stored);
        buffer.position(Integer.BYTES); // the merged part's length, needed only to skip it
        int count = buffer.getInt();
        HashMap<String, Double> values = new HashMap<>(Math.max(16, (count + extraCapacity) * 2));
        for (int i = 0; i < count; i++) {
            int nameLength = buffer.getInt();
            String name = new String(stored, buffer.position(), nameLength, StandardCharsets.UTF_8);
            buffer.position(buffer.position() + nameLength);
            values.put(name, buffer.getDouble());
        }
        return values;
    }

    /** Decodes a stored record. */
    static EntityViews decode(byte[] stored) throws InvalidProtocolBufferException {
        ByteBuffer buffer = ByteBuffer.wrap(stored);
        buffer.position(Integer.BYTES + buffer.getInt());
        int count = buffer.getInt();
        TreeMap<String, FeatureVector> byView = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            byte[] view = new byte[buffer.getInt()];
            buffer.get(view);
            int length = buffer.getInt();
            byView.put(new String(view, StandardCharsets.UTF_8),
                FeatureVector.parser().parseFrom(stored, buffer.position(), length));
            buffer.position(buffer.position() + length);
        }
        return new EntityViews(byView);
    }

    /** A copy with {@code view}'s vector replaced by {@code vector}. */
    EntityViews with(String view, FeatureVector vector) {
        TreeMap<String, FeatureVector> copy = new TreeMap<>(byView);
        copy.put(view, vector);
        return new EntityViews(copy);
    }

    /** A copy without {@code view}'s vector. */
    EntityViews without(String view) {
        TreeMap<String, FeatureVector> copy = new TreeMap<>(byView);
        copy.remove(view);
        return new EntityViews(copy);
    }

    boolean isEmpty() {
        return byView.isEmpty();
    }

    /** The views whose vectors count, in merge order (oldest event time first, so the newest wins a clash). */
    List<Map.Entry<String, FeatureVector>> effectiveViews() {
        List<Map.Entry<String, FeatureVector>> views = new ArrayList<>();
        boolean anyNamed = byView.keySet().stream().anyMatch(view -> !view.equals(LEGACY_VIEW));
        for (Map.Entry<String, FeatureVector> entry : byView.entrySet()) {
            if (!(anyNamed && entry.getKey().equals(LEGACY_VIEW))) {
                views.add(entry);
            }
        }
        views.sort(Comparator.comparingLong((Map.Entry<String, FeatureVector> e) -> e.getValue().getEventTimeMs())
            .thenComparing(Map.Entry::getKey));
        return views;
    }

    /**
     * Every view's values in one map.
     *
     * @param clashes receives, for each feature name that two views define, a description of the clash; the
     *                registry refuses such views, so a clash means the topic holds vectors of an older registration
     */
    Map<String, Double> merged(List<String> clashes) {
        List<Map.Entry<String, FeatureVector>> views = effectiveViews();
        if (views.size() == 1) {
            return views.get(0).getValue().getValuesMap();
        }
        Map<String, Double> merged = new HashMap<>();
        Map<String, String> definedBy = new HashMap<>();
        for (Map.Entry<String, FeatureVector> view : views) {
            for (Map.Entry<String, Double> value : view.getValue().getValuesMap().entrySet()) {
                String earlier = definedBy.put(value.getKey(), view.getKey());
                if (earlier != null) {
                    clashes.add(String.format("feature '%s' is defined by views '%s' and '%s'; using '%s' (newer)",
                        value.getKey(), earlier, view.getKey(), view.getKey()));
                }
                merged.put(value.getKey(), value.getValue());
            }
        }
        return merged;
    }

    /** The stored form, with the merge done now. */
    byte[] encode(List<String> clashes) {
        byte[] merged = encodeValues(merged(clashes));
        List<byte[]> views = new ArrayList<>();
        List<byte[]> vectors = new ArrayList<>();
        int size = Integer.BYTES + merged.length + Integer.BYTES;
        for (Map.Entry<String, FeatureVector> entry : byView.entrySet()) {
            byte[] view = entry.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] vector = entry.getValue().toByteArray();
            views.add(view);
            vectors.add(vector);
            size += 2 * Integer.BYTES + view.length + vector.length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putInt(merged.length).put(merged).putInt(views.size());
        for (int i = 0; i < views.size(); i++) {
            buffer.putInt(views.get(i).length).put(views.get(i)).putInt(vectors.get(i).length).put(vectors.get(i));
        }
        return buffer.array();
    }

    private static byte[] encodeValues(Map<String, Double> values) {
        List<byte[]> names = new ArrayList<>(values.size());
        int size = Integer.BYTES;
        for (Map.Entry<String, Double> value : values.entrySet()) {
            byte[] utf8 = value.getKey().getBytes(StandardCharsets.UTF_8);
            names.add(utf8);
            size += Integer.BYTES + utf8.length + Double.BYTES;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).putInt(values.size());
        int i = 0;
        for (Map.Entry<String, Double> value : values.entrySet()) {
            byte[] name = names.get(i++);
            buffer.putInt(name.length).put(name).putDouble(value.getValue());
        }
        return buffer.array();
    }
}
