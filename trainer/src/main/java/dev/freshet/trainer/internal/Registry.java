package dev.freshet.trainer.internal;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

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
    private final TreeMap<Long, Entry> versions = new TreeMap<>();
    private final Map<Long, ModelVersion> recentModels;
    private final Set<Long> barredTargets = new HashSet<>();
    private final Set<Long> mine = new HashSet<>();
    private long highestVersion;
    private ModelVersion newestCheckpoint;

    Registry(int modelsKept) {
        this.modelsKept = modelsKept;
        this.recentModels = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, ModelVersion> eldest) {
                return size() > Registry.this.modelsKept;
            }
        };
    }

    /**
     * Records a version read from the models topic (or just published by this trainer). A version carrying a
     * learner checkpoint was made by a Freshet trainer of this model (this one, or the one it restarted from).
     */
    void record(ModelVersion version, boolean madeHere) {
        versions.put(version.getVersion(),
            new Entry(version.getVersion(), version.getParentVersion(), version.getOrigin()));
        if (!version.getTribuoModel().isEmpty() || version.hasLearnerState()) {
            recentModels.put(version.getVersion(), version);
        }
        highestVersion = Math.max(highestVersion, version.getVersion());
        if (madeHere || version.hasLearnerState()) {
            mine.add(version.getVersion());
        }
        if (version.hasLearnerState()
                && (newestCheckpoint == null || version.getVersion() >= newestCheckpoint.getVersion())) {
            newestCheckpoint = version;
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

    /** Bars a version and, through parent links, all its descendants, present and future. */
    void bar(long targetVersion) {
        barredTargets.add(targetVersion);
    }

    boolean isBarred(long version) {
        long current = version;
        // Parent links point to older versions; the bound guards against a malformed external chain.
        for (int steps = 0; current > 0 && steps <= versions.size(); steps++) {
            if (barredTargets.contains(current)) {
                return true;
            }
            Entry entry = versions.get(current);
            if (entry == null || entry.parentVersion() >= current) {
                return false;
            }
            current = entry.parentVersion();
        }
        return false;
    }

    boolean madeHere(long version) {
        return mine.contains(version);
    }

    long highestVersion() {
        return highestVersion;
    }

    Optional<Entry> newestNotBarred() {
        for (Entry entry : versions.descendingMap().values()) {
            if (!isBarred(entry.version())) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
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
