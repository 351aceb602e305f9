package dev.freshet.trainer.internal;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

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
    private final Map<Long, byte[]> recentModels;
    private final Set<Long> barredTargets = new HashSet<>();
    private final Set<Long> mine = new HashSet<>();
    private long highestVersion;

    Registry(int modelsKept) {
        this.modelsKept = modelsKept;
        this.recentModels = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
                return size() > Registry.this.modelsKept;
            }
        };
    }

    /** Records a version read from the models topic (or just published by this trainer). */
    void record(ModelVersion version, boolean madeHere) {
        versions.put(version.getVersion(),
            new Entry(version.getVersion(), version.getParentVersion(), version.getOrigin()));
        if (!version.getTribuoModel().isEmpty()) {
            recentModels.put(version.getVersion(), version.getTribuoModel().toByteArray());
        }
        highestVersion = Math.max(highestVersion, version.getVersion());
        if (madeHere) {
            mine.add(version.getVersion());
        }
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
        return Optional.ofNullable(recentModels.get(version));
    }
}
