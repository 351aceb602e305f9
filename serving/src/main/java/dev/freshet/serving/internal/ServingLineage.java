package dev.freshet.serving.internal;

import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import dev.freshet.contracts.Lineage;

/**
 * The versions of one model as serving sees them: the shared lineage rule (a ROLLBACK of T bars T and every
 * descendant of T), plus the versions serving itself could not load. Not thread-safe: owned by the registry
 * follower's thread; readers on other threads get a {@link #copy()}.
 */
final class ServingLineage {
    private final Lineage lineage;
    private final Set<Long> unloadable;

    ServingLineage() {
        this(new Lineage(), new HashSet<>());
    }

    private ServingLineage(Lineage lineage, Set<Long> unloadable) {
        this.lineage = lineage;
        this.unloadable = unloadable;
    }

    /** Records a published version; says whether another publication had already claimed its number. */
    Lineage.Claim add(long version, long parentVersion, long publishedAtMs) {
        return lineage.add(version, parentVersion, publishedAtMs);
    }

    void remove(long version) {
        lineage.remove(version);
    }

    /** Bars {@code target} and all its descendants. */
    void bar(long target) {
        lineage.bar(target);
    }

    /** Excludes a version whose model cannot be loaded. */
    void markUnloadable(long version) {
        unloadable.add(version);
    }

    boolean isBarred(long version) {
        return lineage.isBarred(version);
    }

    boolean contains(long version) {
        return lineage.contains(version);
    }

    /** Known, not barred and not unloadable. */
    boolean servable(long version) {
        return lineage.contains(version) && !unloadable.contains(version) && !lineage.isBarred(version);
    }

    /** The newest version that is neither barred nor unloadable. */
    OptionalLong newestServable() {
        return lineage.newest(this::loadable);
    }

    /** The newest servable version not newer than {@code max}. */
    OptionalLong newestServableAtMost(long max) {
        return lineage.newestAtMost(max, this::loadable);
    }

    /** The oldest servable version. */
    OptionalLong oldestServable() {
        return lineage.oldest(this::loadable);
    }

    /** The version serving would return to if {@code target} and its descendants were barred now. */
    OptionalLong newestServableIfBarred(long target) {
        return lineage.newestIfBarred(target, this::loadable);
    }

    /** Every known version that a rollback has barred, oldest first. */
    List<Long> barredVersions() {
        return lineage.barredVersions();
    }

    /** The newest version known, servable or not; 0 when none. */
    long newest() {
        return lineage.highest();
    }

    /** A copy, for readers on other threads (the copy is not modified after it is made). */
    ServingLineage copy() {
        return new ServingLineage(lineage.copy(), new HashSet<>(unloadable));
    }

    private boolean loadable(long version) {
        return !unloadable.contains(version);
    }
}
