package dev.freshet.serving.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.freshet.contracts.Lineage;
import dev.freshet.contracts.RolloutMode;
import dev.freshet.contracts.ServingRule;
import dev.freshet.proto.registry.v1.Command;

/**
 * One model as this serving instance sees it: the shared {@link ServingRule} (which versions serve, from the
 * registry's versions and the serving commands), plus the one thing only this instance knows, the versions it could
 * not load. Not thread-safe: owned by the registry follower's thread; readers on other threads get a
 * {@link #copy()}.
 */
final class ServingLineage {
    private final ServingRule rule;
    private final Set<Long> unloadable;

    ServingLineage(String modelName) {
        this(new ServingRule(modelName), new HashSet<>());
    }

    private ServingLineage(ServingRule rule, Set<Long> unloadable) {
        this.rule = rule;
        this.unloadable = unloadable;
    }

    /** Records a published version; says whether another publication had already claimed its number. */
    Lineage.Claim add(long version, long parentVersion, long publishedAtMs) {
        return rule.addVersion(version, parentVersion, publishedAtMs);
    }

    void remove(long version) {
        rule.removeVersion(version);
    }

    /** Whether a record of the commands topic is about this model. */
    boolean concerns(String recordKey, Command command) {
        return rule.concerns(recordKey, command);
    }

    /** Applies a command of the commands topic; empty when it changes nothing serving decides. */
    Optional<ServingRule.Change> apply(String recordKey, Command command) {
        return rule.apply(recordKey, command);
    }

    /** Excludes a version whose model cannot be loaded. */
    void markUnloadable(long version) {
        unloadable.add(version);
    }

    boolean isBarred(long version) {
        return rule.isBarred(version);
    }

    boolean contains(long version) {
        return rule.contains(version);
    }

    /** Known, not barred and not unloadable. */
    boolean servable(long version) {
        return rule.servable(version, this::loadable);
    }

    /** The versions to serve, by the shared rule, leaving out those this instance could not load. */
    ServingRule.Decision decide(RolloutMode mode) {
        return rule.decide(mode, this::loadable);
    }

    /** The champion if {@code target} and its descendants were barred now; 0 when none would be left. */
    long championIfBarred(long target, RolloutMode mode) {
        return rule.championIfBarred(target, mode, this::loadable);
    }

    /** Every known version that a rollback has barred, oldest first. */
    List<Long> barredVersions() {
        return rule.barredVersions();
    }

    /** The newest version known, servable or not; 0 when none. */
    long newest() {
        return rule.newest();
    }

    /** The reason of the rollback that barred this version or its nearest barred ancestor. */
    Optional<String> rollbackReason(long version) {
        return rule.rollbackReason(version);
    }

    /** A copy, for readers on other threads (the copy is not modified after it is made). */
    ServingLineage copy() {
        return new ServingLineage(rule.copy(), new HashSet<>(unloadable));
    }

    private boolean loadable(long version) {
        return !unloadable.contains(version);
    }
}
