package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Feature names and their ids, 0, 1, 2... in the order the names were first seen; an id, once given, never changes
 * (it indexes every per-feature array of the learner and the order of its checkpoint). Not thread-safe.
 */
final class FeatureVocabulary {
    private final Map<String, Integer> ids;
    private final List<String> names;

    FeatureVocabulary() {
        ids = new HashMap<>();
        names = new ArrayList<>();
    }

    private FeatureVocabulary(FeatureVocabulary other) {
        ids = new HashMap<>(other.ids);
        names = new ArrayList<>(other.names);
    }

    /** A copy that shares nothing mutable with this one. */
    FeatureVocabulary copy() {
        return new FeatureVocabulary(this);
    }

    /** The id of a name, or -1 when it has none. */
    int idOf(String name) {
        Integer id = ids.get(name);
        return id == null ? -1 : id;
    }

    /** Gives a name not known yet the next id, {@link #size()}. */
    int add(String name) {
        int id = names.size();
        if (ids.putIfAbsent(name, id) != null) {
            throw new IllegalArgumentException("feature '" + name + "' has an id already");
        }
        names.add(name);
        return id;
    }

    /** The name of an id. */
    String name(int id) {
        return names.get(id);
    }

    /** Every name, in id order; a read-only view that follows later additions. */
    List<String> names() {
        return Collections.unmodifiableList(names);
    }

    int size() {
        return names.size();
    }
}
