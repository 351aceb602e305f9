package dev.freshet.trainer.internal;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

import dev.freshet.contracts.Lineage;
import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelVersion;

/**
 * The trainer's view of one model's versions in the registry: lineage, barring by ROLLBACK, which versions this
 * trainer made, and the serialized models of recent versions. Not thread-safe (the trainer's loop owns it).
 */
final class Registry {
    record Entry(long version, long parentVersion, ModelVersion.Origin origin) {
    }

    private final int modelsKept;
    private final long modelBytesKept;
    private long modelBytes;
    private final TreeMap<Long, Entry> versions = new TreeMap<>();
    private final Map<Long, ModelVersion> recentModels;
    private final Lineage lineage = new Lineage();
    private final Set<Long> mine = new HashSet<>();
    private ModelVersion newestCheckpoint;

    /**
     * @param modelsKept     how many recent versions' models and checkpoints to keep for restoring and adopting
     * @param modelBytesKept and how many bytes of them at most (at 100k features one version is ~8 MB); the newest
     *                       is always kept
     */
    Registry(int modelsKept, long modelBytesKept) {
        this.modelsKept = modelsKept;
        this.modelBytesKept = modelBytesKept;
        this.recentModels = new LinkedHashMap<>();
    }

    /**
     * Records a version read from the models topic (or just published by this trainer). A version carrying a
     * learner checkpoint was made by a Freshet trainer of this model (this one, or the one it restarted from).
     */
    Lineage.Claim record(ModelVersion version, boolean madeHere) {
        Lineage.Claim claim = lineage.add(version.getVersion(), version.getParentVersion(),
            version.getPublishedAtMs());
        versions.put(version.getVersion(),
            new Entry(version.getVersion(), version.getParentVersion(), version.getOrigin()));
        if (!version.getTribuoModel().isEmpty() || version.hasLearnerState() || !version.getSchemaId().isEmpty()) {
            keepModel(version);
        }
        // Packed versions come only from Freshet trainers; older ones lost their checkpoint to a newer version's.
        if (madeHere || version.hasLearnerState()
                || !version.getSchemaId().isEmpty() && version.getOrigin() != ModelVersion.Origin.EXTERNAL) {
            mine.add(version.getVersion());
        }
        if (version.hasLearnerState()
                && (newestCheckpoint == null || version.getVersion() >= newestCheckpoint.getVersion())) {
            newestCheckpoint = version;
        }
        return claim;
    }

    private void keepModel(ModelVersion version) {
        ModelVersion replaced = recentModels.put(version.getVersion(), version);
        modelBytes += version.getSerializedSize() - (replaced == null ? 0 : replaced.getSerializedSize());
        Iterator<ModelVersion> oldestFirst = recentModels.values().iterator();
        while (recentModels.size() > 1 && (recentModels.size() > modelsKept || modelBytes > modelBytesKept)) {
            modelBytes -= oldestFirst.next().getSerializedSize();
            oldestFirst.remove();
        }
    }

    /**
     * The newest version carrying a learner checkpoint: written in the same transaction as the trainer's
     * consumer offsets, so its input offsets are where a restarted trainer resumes.
     */
    Optional<ModelVersion> newestCheckpoint() {
        return Optional.ofNullable(newestCheckpoint);
    }

    /** The learner checkpoint of a recent version, if it has one and it is still kept. */
    Optional<LearnerState> learnerState(long version) {
        ModelVersion mv = recentModels.get(version);
        return mv != null && mv.hasLearnerState() ? Optional.of(mv.getLearnerState()) : Optional.empty();
    }

    /**
     * Forgets a version deleted from the registry (a tombstone on the models topic): it is neither continued from
     * nor deleted again. Barring through it is kept.
     */
    void forget(long version) {
        versions.remove(version);
        lineage.remove(version);
        mine.remove(version);
        ModelVersion model = recentModels.remove(version);
        if (model != null) {
            modelBytes -= model.getSerializedSize();
        }
        if (newestCheckpoint != null && newestCheckpoint.getVersion() == version) {
            newestCheckpoint = null;
        }
    }

    /**
     * The versions still in the registry that a new version {@code newVersion} pushes out of a window of the
     * newest {@code retained}, oldest first: all those at or below {@code newVersion - retained}, so that a window
     * made smaller, or versions another publisher left, go too.
     */
    List<Long> expiredBy(long newVersion, int retained) {
        return List.copyOf(versions.headMap(newVersion - retained, true).keySet());
    }

    /**
     * The version record to publish again without its checkpoint once a newer version carries one: the newest
     * checkpoint so far, stripped of it, or empty when there is none. Only the newest version needs a checkpoint
     * (a restart resumes there); older ones keep their model for serving and rollbacks.
     */
    Optional<ModelVersion> checkpointToStrip() {
        return newestCheckpoint == null || !versions.containsKey(newestCheckpoint.getVersion()) ? Optional.empty()
            : Optional.of(newestCheckpoint.toBuilder().clearLearnerState().build());
    }

    /** The record of a recent version, as kept (its model and, on the newest, its checkpoint). */
    Optional<ModelVersion> recent(long version) {
        return Optional.ofNullable(recentModels.get(version));
    }

    /** Bars a version and, through parent links, all its descendants, present and future. */
    void bar(long targetVersion) {
        lineage.bar(targetVersion);
    }

    boolean isBarred(long version) {
        return lineage.isBarred(version);
    }

    boolean madeHere(long version) {
        return mine.contains(version);
    }

    long highestVersion() {
        return lineage.highest();
    }

    Optional<Entry> newestNotBarred() {
        OptionalLong newest = lineage.newest(versions::containsKey);
        return newest.isPresent() ? Optional.of(versions.get(newest.getAsLong())) : Optional.empty();
    }

    Optional<Entry> get(long version) {
        return Optional.ofNullable(versions.get(version));
    }

    /** The serialized Tribuo model of a recent version, if still kept. */
    Optional<byte[]> model(long version) {
        ModelVersion mv = recentModels.get(version);
        return mv == null || mv.getTribuoModel().isEmpty() ? Optional.empty()
            : Optional.of(mv.getTribuoModel().toByteArray());
    }
}
