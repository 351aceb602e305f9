package dev.freshet.serving.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * The versions of one model, their parents, and which are barred. A ROLLBACK of T bars T and every descendant
 * of T (following parent links), including descendants published after the rollback. Barring is decided when
 * asked, not when a record arrives, so the order in which the models and commands topics are read does not
 * matter. Not thread-safe: owned by the registry follower's thread.
 */
final class Lineage {
    private final Map<Long, Long> parentOf = new HashMap<>();
    private final NavigableSet<Long> versions = new TreeSet<>();
    private final Set<Long> rolledBack = new HashSet<>();
    private final Set<Long> unloadable = new HashSet<>();

    void add(long version, long parentVersion) {
        versions.add(version);
        parentOf.put(version, parentVersion);
    }

    void remove(long version) {
        versions.remove(version);
    }

    /** Bars {@code target} and all its descendants. */
    void bar(long target) {
        rolledBack.add(target);
    }

    /** Excludes a version whose model cannot be loaded. */
    void markUnloadable(long version) {
        unloadable.add(version);
    }

    boolean isBarred(long version) {
        long current = version;
        // Bounded walk: a parent cycle in bad records must not hang the follower.
        for (int steps = 0; current > 0 && steps <= parentOf.size(); steps++) {
            if (rolledBack.contains(current)) {
                return true;
            }
            Long parent = parentOf.get(current);
            if (parent == null || parent == current) {
                return false;
            }
            current = parent;
        }
        return false;
    }

    /** The newest version that is neither barred nor unloadable. */
    OptionalLong newestServable() {
        for (long version : versions.descendingSet()) {
            if (!unloadable.contains(version) && !isBarred(version)) {
                return OptionalLong.of(version);
            }
        }
        return OptionalLong.empty();
    }

    /** A copy, for readers on other threads (the copy is not modified after it is made). */
    Lineage copy() {
        Lineage copy = new Lineage();
        copy.parentOf.putAll(parentOf);
        copy.versions.addAll(versions);
        copy.rolledBack.addAll(rolledBack);
        copy.unloadable.addAll(unloadable);
        return copy;
    }

    boolean contains(long version) {
        return versions.contains(version);
    }

    /** Known, not barred and not unloadable. */
    boolean servable(long version) {
        return versions.contains(version) && !unloadable.contains(version) && !isBarred(version);
    }

    /** The newest servable version not newer than {@code max}. */
    OptionalLong newestServableAtMost(long max) {
        for (long version : versions.headSet(max, true).descendingSet()) {
            if (servable(version)) {
                return OptionalLong.of(version);
            }
        }
        return OptionalLong.empty();
    }

    /** The oldest servable version. */
    OptionalLong oldestServable() {
        for (long version : versions) {
            if (servable(version)) {
                return OptionalLong.of(version);
            }
        }
        return OptionalLong.empty();
    }

    /** Every known version that a rollback has barred, oldest first. */
    List<Long> barredVersions() {
        return versions.stream().filter(this::isBarred).toList();
    }

    /** The version serving would return to if {@code target} and its descendants were barred now. */
    OptionalLong newestServableIfBarred(long target) {
        for (long version : versions.descendingSet()) {
            if (servable(version) && !descendsFrom(version, target)) {
                return OptionalLong.of(version);
            }
        }
        return OptionalLong.empty();
    }

    private boolean descendsFrom(long version, long ancestor) {
        long current = version;
        for (int steps = 0; current > 0 && steps <= parentOf.size(); steps++) {
            if (current == ancestor) {
                return true;
            }
            Long parent = parentOf.get(current);
            if (parent == null || parent == current) {
                return false;
            }
            current = parent;
        }
        return false;
    }

    /** The newest version known, servable or not; 0 when none. */
    long newest() {
        return versions.isEmpty() ? 0 : versions.last();
    }
}
