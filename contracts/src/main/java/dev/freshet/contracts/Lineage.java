package dev.freshet.contracts;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongPredicate;

/**
 * The versions of one model, each one's parent, and which versions a rollback has barred: the rule the trainer,
 * serving and the monitor must agree on, kept in one place.
 *
 * <p>A ROLLBACK of version T bars T and every descendant of T (following parent links), including descendants
 * published after the rollback. Barring is decided when asked, not when a record arrives, so the order in which
 * the models and commands topics are read does not matter.
 *
 * <p>The models topic is compacted, so it cannot refuse a second publisher claiming a version number that is
 * already taken; {@link #add} reports such a claim as {@link Claim#CONFLICTING} so that every reader can say so.
 * The newer claim replaces the older one, as compaction will.
 *
 * <p>Not thread-safe: one thread owns an instance; hand other threads a {@link #copy()}.
 */
public final class Lineage {
    /** What {@link #add} made of a published version. */
    public enum Claim {
        /** A version not seen before. */
        NEW,
        /** The same version, parent and publication time again (a re-read, e.g. after a restart). */
        REPEATED,
        /** The version number was already claimed by a different publication; the new one replaces it. */
        CONFLICTING
    }

    private record Publication(long parent, long publishedAtMs) {
    }

    private final Map<Long, Publication> publications = new HashMap<>();
    private final NavigableSet<Long> versions = new TreeSet<>();
    private final Set<Long> rollbackTargets = new HashSet<>();

    /**
     * Records a published version.
     *
     * @param parentVersion the version its weights continued from, 0 for none
     * @param publishedAtMs when it was published; tells a re-read from a second claim on the same number
     */
    public Claim add(long version, long parentVersion, long publishedAtMs) {
        Publication publication = new Publication(parentVersion, publishedAtMs);
        Publication previous = publications.put(version, publication);
        versions.add(version);
        if (previous == null) {
            return Claim.NEW;
        }
        return previous.equals(publication) ? Claim.REPEATED : Claim.CONFLICTING;
    }

    /** Forgets a version (a tombstone in the models topic). Barring through it is kept. */
    public void remove(long version) {
        versions.remove(version);
        publications.remove(version);
    }

    /** Bars {@code target} and all its descendants, present and future. */
    public void bar(long target) {
        rollbackTargets.add(target);
    }

    public boolean contains(long version) {
        return versions.contains(version);
    }

    /** The version's parent, when the version is known. */
    public OptionalLong parentOf(long version) {
        Publication publication = publications.get(version);
        return publication == null ? OptionalLong.empty() : OptionalLong.of(publication.parent());
    }

    /** True when a rollback targeted this version itself (not only an ancestor). */
    public boolean isRollbackTarget(long version) {
        return rollbackTargets.contains(version);
    }

    /** True when a rollback targeted this version or one of its known ancestors. */
    public boolean isBarred(long version) {
        return firstOnPath(version, rollbackTargets::contains).isPresent();
    }

    /** True when {@code ancestor} is {@code version} itself or on its chain of known parents. */
    public boolean descendsFrom(long version, long ancestor) {
        return firstOnPath(version, v -> v == ancestor).isPresent();
    }

    /** The newest version on {@code version}'s chain of known parents, itself included, that is not barred. */
    public OptionalLong newestUnbarredAncestor(long version) {
        return firstOnPath(version, v -> !isBarred(v));
    }

    /** The newest known version that is not barred and that {@code usable} accepts. */
    public OptionalLong newest(LongPredicate usable) {
        return first(versions.descendingSet(), usable);
    }

    /** The newest known version not above {@code max} that is not barred and that {@code usable} accepts. */
    public OptionalLong newestAtMost(long max, LongPredicate usable) {
        return first(versions.headSet(max, true).descendingSet(), usable);
    }

    /** The oldest known version that is not barred and that {@code usable} accepts. */
    public OptionalLong oldest(LongPredicate usable) {
        return first(versions, usable);
    }

    /** Every known version that a rollback has barred, oldest first. */
    public List<Long> barredVersions() {
        return versions.stream().filter(this::isBarred).toList();
    }

    /** The highest version known, barred or not; 0 when none. */
    public long highest() {
        return versions.isEmpty() ? 0 : versions.last();
    }

    /** Every known version, oldest first (a read-only view). */
    public NavigableSet<Long> versions() {
        return Collections.unmodifiableNavigableSet(versions);
    }

    /** An independent copy, for readers on other threads. */
    public Lineage copy() {
        Lineage copy = new Lineage();
        copy.publications.putAll(publications);
        copy.versions.addAll(versions);
        copy.rollbackTargets.addAll(rollbackTargets);
        return copy;
    }

    private OptionalLong first(Iterable<Long> candidates, LongPredicate usable) {
        for (long version : candidates) {
            if (!isBarred(version) && usable.test(version)) {
                return OptionalLong.of(version);
            }
        }
        return OptionalLong.empty();
    }

    /** Walks from {@code version} up its parents and returns the first that matches. */
    private OptionalLong firstOnPath(long version, LongPredicate match) {
        long current = version;
        // Parents are older versions, so the walk ends; the bound keeps a malformed external chain from hanging it.
        for (int steps = 0; current > 0 && steps <= publications.size(); steps++) {
            if (match.test(current)) {
                return OptionalLong.of(current);
            }
            Publication publication = publications.get(current);
            if (publication == null || publication.parent() >= current) {
                return OptionalLong.empty();
            }
            current = publication.parent();
        }
        return OptionalLong.empty();
    }
}
