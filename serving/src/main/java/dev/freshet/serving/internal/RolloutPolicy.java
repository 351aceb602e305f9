package dev.freshet.serving.internal;

import java.nio.charset.StandardCharsets;

import dev.freshet.contracts.RolloutMode;

/**
 * Per request: which loaded version answers, and whether the challenger also scores in the shadow. The split
 * depends only on the entity id, so an entity sees the same version on every instance and every call (until the
 * versions change). Immutable; thread-safe.
 *
 * <p>Which versions are champion and challenger is the shared {@link dev.freshet.contracts.ServingRule}; this split
 * stays here because only serving computes it: every answer and every prediction-log entry carries the version and
 * role that produced it, so no other module needs to work out which entity went where.
 */
record RolloutPolicy(RolloutMode mode, double challengerShare) {

    /** Whether {@code entityId}'s requests go to the challenger in challenger mode. */
    boolean routesToChallenger(String entityId) {
        return mode == RolloutMode.CHALLENGER && bucket(entityId) < challengerShare;
    }

    boolean shadows() {
        return mode == RolloutMode.SHADOW;
    }

    /** A stable, well-mixed position in [0, 1) for an entity id (SplitMix64's finaliser over FNV-1a). */
    static double bucket(String entityId) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : entityId.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        hash = (hash ^ (hash >>> 30)) * 0xbf58476d1ce4e5b9L;
        hash = (hash ^ (hash >>> 27)) * 0x94d049bb133111ebL;
        hash = hash ^ (hash >>> 31);
        return (hash >>> 11) * 0x1.0p-53;
    }
}
