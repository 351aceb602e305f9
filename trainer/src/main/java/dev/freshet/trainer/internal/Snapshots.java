package dev.freshet.trainer.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The learning states of recently published versions, kept in memory for rollbacks to them. With many features each
 * is large (~17 MB at 100k features and two labels), so both their number and their features together are bounded;
 * the oldest go first, the newest always stays. A rollback further back restores from the registry instead. Not
 * thread-safe.
 */
final class Snapshots {
    private final int maxSnapshots;
    private final long maxFeatures;
    private final Map<Long, OnlineLearner> byVersion = new LinkedHashMap<>();
    private long features;

    Snapshots(int maxSnapshots, long maxFeatures) {
        this.maxSnapshots = maxSnapshots;
        this.maxFeatures = maxFeatures;
    }

    /** Keeps a version's state (the caller no longer changes it), dropping the oldest beyond the bounds. */
    void keep(long version, OnlineLearner snapshot) {
        OnlineLearner replaced = byVersion.put(version, snapshot);
        features += snapshot.numFeatures() - (replaced == null ? 0 : replaced.numFeatures());
        Iterator<OnlineLearner> oldestFirst = byVersion.values().iterator();
        while (byVersion.size() > 1 && (byVersion.size() > maxSnapshots || features > maxFeatures)) {
            features -= oldestFirst.next().numFeatures();
            oldestFirst.remove();
        }
    }

    /** A copy of a version's state to continue from, or null when it is not kept. */
    OnlineLearner copyOf(long version) {
        OnlineLearner snapshot = byVersion.get(version);
        return snapshot == null ? null : snapshot.copy();
    }
}
