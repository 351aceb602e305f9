package dev.freshet.monitor.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.freshet.contracts.Lineage;
import dev.freshet.monitor.MonitorReport.VersionStats;

/**
 * What is known about each version of the watched model: lineage from the models topic, serving from the
 * prediction log, accuracy from training examples, barring from ROLLBACK commands. Not thread-safe.
 */
final class VersionLedger {
    /** Feature samples are kept for this many of the newest versions only, to bound memory. */
    private static final int VERSIONS_WITH_SAMPLES = 128;

    /** Mutable facts about one version. */
    static final class Entry {
        final long version;
        long parent = -1;
        String origin = "UNKNOWN";
        Long publishedAtMs;
        Long firstServedAtMs;
        long predictions;
        long labelled;
        long correct;
        /** The most recent inputs it scored, for the rollback policy's input-shift guard; null once evicted. */
        ArrayDeque<Map<String, Double>> inputs = new ArrayDeque<>();

        Entry(long version) {
            this.version = version;
        }

        double accuracy() {
            return labelled == 0 ? Double.NaN : (double) correct / labelled;
        }
    }

    private final TreeMap<Long, Entry> versions = new TreeMap<>();
    private final Lineage lineage = new Lineage();
    private final int inputSampleSize;

    VersionLedger(int inputSampleSize) {
        this.inputSampleSize = inputSampleSize;
    }

    Entry entry(long version) {
        Entry e = versions.get(version);
        if (e == null) {
            e = new Entry(version);
            versions.put(version, e);
            evictOldSamples();
        }
        return e;
    }

    /** The entry if the version has been seen anywhere, else null. */
    Entry find(long version) {
        return versions.get(version);
    }

    /** Records a published version; says whether its number was already claimed by another publication. */
    Lineage.Claim published(long version, long parent, String origin, long publishedAtMs) {
        Entry e = entry(version);
        e.parent = parent;
        e.origin = origin;
        e.publishedAtMs = publishedAtMs;
        return lineage.add(version, parent, publishedAtMs);
    }

    void served(long version, long servedAtMs) {
        Entry e = entry(version);
        e.predictions++;
        if (e.firstServedAtMs == null || servedAtMs < e.firstServedAtMs) {
            e.firstServedAtMs = servedAtMs;
        }
    }

    void labelled(long version, boolean correct, Map<String, Double> inputs) {
        Entry e = entry(version);
        e.labelled++;
        if (correct) {
            e.correct++;
        }
        if (e.inputs != null) {
            if (e.inputs.size() == inputSampleSize) {
                e.inputs.pollFirst();
            }
            e.inputs.addLast(inputs);
        }
    }

    void barredByRollback(long target) {
        lineage.bar(target);
    }

    boolean isRollbackTarget(long version) {
        return lineage.isRollbackTarget(version);
    }

    /** True when a ROLLBACK targets this version or one of its known ancestors. */
    boolean isBarred(long version) {
        return lineage.isBarred(version);
    }

    /** The newest ancestor of {@code version}, itself included, that is not barred; 0 when there is none. */
    long newestUnbarredAncestor(long version) {
        return lineage.newestUnbarredAncestor(version).orElse(0);
    }

    /** The {@code n} highest versions, oldest first. */
    List<Entry> newest(int n) {
        List<Entry> out = new ArrayList<>(versions.descendingMap().values().stream().limit(n).toList());
        Collections.reverse(out);
        return out;
    }

    List<VersionStats> snapshot() {
        List<VersionStats> out = new ArrayList<>(versions.size());
        for (Entry e : versions.values()) {
            out.add(new VersionStats(e.version, e.parent, e.origin, e.publishedAtMs, e.firstServedAtMs,
                e.predictions, e.labelled, e.correct, e.labelled == 0 ? null : e.accuracy(),
                e.predictions == 0 ? null : (double) e.labelled / e.predictions, isBarred(e.version)));
        }
        return out;
    }

    private void evictOldSamples() {
        if (versions.size() <= VERSIONS_WITH_SAMPLES) {
            return;
        }
        int toEvict = versions.size() - VERSIONS_WITH_SAMPLES;
        for (Entry e : versions.values()) {
            if (toEvict-- <= 0) {
                break;
            }
            e.inputs = null;
        }
    }
}
