package dev.freshet.monitor.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Decides whether a version is so much worse than its parent that it must be rolled back. Stateless; the
 * ledger holds the facts.
 *
 * <p>Version V with parent P is rolled back when V has at least {@code minSamples} labelled predictions, and so
 * has its baseline, accuracy(baseline) - accuracy(V) &gt; {@code margin}, and the two-proportion z statistic of
 * that difference exceeds {@code zThreshold}. The baseline is P, pooled with P's nearest ancestors while P alone has
 * fewer than {@code minSamples}: with a version every second, a parent often serves only briefly before it is
 * replaced, and its lineage's recent record is the fairest measure of what V replaced. The restore version is P,
 * or P's newest ancestor that no rollback has barred.
 */
final class RollbackPolicy {
    /**
     * A verdict on a version. When {@code withheldBecause} is non-null the figures meet the accuracy test but
     * the rollback is not issued, for that reason.
     */
    record Decision(long target, long parent, long restore, String reason, Map<String, Double> evidence,
                    String withheldBecause) {
    }

    private final int minSamples;
    private final double margin;
    private final double zThreshold;
    private final boolean inputShiftGuard;
    private final double psiThreshold;

    RollbackPolicy(int minSamples, double margin, double zThreshold, boolean inputShiftGuard, double psiThreshold) {
        this.minSamples = minSamples;
        this.margin = margin;
        this.zThreshold = zThreshold;
        this.inputShiftGuard = inputShiftGuard;
        this.psiThreshold = psiThreshold;
    }

    /** The verdict on {@code version}, or null when it stays (or cannot be judged yet). */
    Decision evaluate(VersionLedger ledger, long version) {
        VersionLedger.Entry v = ledger.find(version);
        if (v == null || v.parent <= 0 || v.labelled < minSamples
                || ledger.isRollbackTarget(version) || ledger.isBarred(version)) {
            return null;
        }
        VersionLedger.Entry p = ledger.find(v.parent);
        Baseline baseline = baseline(ledger, p);
        if (baseline == null) {
            return null;
        }
        double drop = baseline.accuracy() - v.accuracy();
        if (drop <= margin) {
            return null;
        }
        double z = zStatistic(baseline.correct, baseline.labelled, v.correct, v.labelled);
        if (z <= zThreshold) {
            return null;
        }
        // Blame where the damage began: a parent that served too briefly to be judged on its own, but whose few
        // predictions were already significantly worse than its ancestors', goes with V instead of being restored.
        VersionLedger.Entry blamed = v;
        VersionLedger.Entry keptParent = p;
        StringBuilder blame = new StringBuilder();
        while (keptParent.parent > 0 && keptParent.labelled >= MIN_BLAME_SAMPLES) {
            VersionLedger.Entry grandparent = ledger.find(keptParent.parent);
            Baseline older = grandparent == null ? null : baseline(ledger, grandparent);
            if (older == null || older.accuracy() - keptParent.accuracy() <= margin || zStatistic(older.correct,
                    older.labelled, keptParent.correct, keptParent.labelled) <= zThreshold) {
                break;
            }
            blame.append(String.format(Locale.ROOT, "; v%d itself scored %.2f over %d against %.2f over %d for %s",
                keptParent.version, keptParent.accuracy(), keptParent.labelled, older.accuracy(), older.labelled,
                older.describe()));
            blamed = keptParent;
            keptParent = grandparent;
        }
        long restore = ledger.newestUnbarredAncestor(keptParent.version);
        Map<String, Double> evidence = new LinkedHashMap<>();
        evidence.put("version_accuracy", v.accuracy());
        evidence.put("version_labelled", (double) v.labelled);
        evidence.put("parent_accuracy", baseline.accuracy());
        evidence.put("parent_labelled", (double) baseline.labelled);
        evidence.put("parent_versions_pooled", (double) baseline.versions.size());
        evidence.put("accuracy_drop", drop);
        evidence.put("z", z);
        if (blamed != v) {
            evidence.put("blamed_version", (double) blamed.version);
            evidence.put("blamed_version_accuracy", blamed.accuracy());
            evidence.put("blamed_version_labelled", (double) blamed.labelled);
        }
        String outcome = blamed != v
            ? "rolling back v" + blamed.version + " and its descendants to v" + restore
            : restore == keptParent.version ? "rolling back to v" + restore
            : "v" + keptParent.version + " is barred, rolling back to v" + restore;
        String reason = String.format(Locale.ROOT,
            "v%d accuracy %.2f over %d labelled predictions vs %s %.2f over %d (z=%.1f)%s: %s",
            v.version, v.accuracy(), v.labelled, baseline.describe(), baseline.accuracy(), baseline.labelled, z,
            blame, outcome);
        String withheld = null;
        if (restore == 0) {
            withheld = "no ancestor of v" + blamed.version + " is free of rollbacks to restore";
        } else if (inputShiftGuard) {
            withheld = inputShift(baseline, v, evidence);
        }
        return new Decision(blamed.version, keptParent.version, restore, reason, evidence, withheld);
    }

    /**
     * Two-proportion z statistic of accuracy(P) - accuracy(V), with the pooled standard error. When the pooled
     * proportion is 0 or 1 both accuracies are equal, so the statistic is 0.
     */
    static double zStatistic(long correctP, long nP, long correctV, long nV) {
        double pooled = (double) (correctP + correctV) / (nP + nV);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / nP + 1.0 / nV));
        if (se == 0) {
            return 0;
        }
        return ((double) correctP / nP - (double) correctV / nV) / se;
    }

    /** Why the inputs differ too much to blame the version, or null when they do not. */
    private String inputShift(Baseline p, VersionLedger.Entry v, Map<String, Double> evidence) {
        if (v.inputs == null || p.inputs.isEmpty() || v.inputs.isEmpty()) {
            return null;
        }
        TreeSet<String> names = new TreeSet<>();
        p.inputs.forEach(row -> names.addAll(row.keySet()));
        String worst = null;
        double worstExcess = 0;
        double worstPsi = 0;
        for (String name : names) {
            double[] ref = column(p.inputs, name);
            if (Psi.whyNotComparable(name, ref) != null) {
                continue;
            }
            double[] cuts = Psi.cutPoints(ref);
            double[] cur = column(v.inputs, name);
            double psi = Psi.psi(cuts, ref, cur);
            double excess = psi - psiThreshold - Psi.expectedByChance(cuts.length + 1, ref.length, cur.length);
            if (excess > worstExcess) {
                worst = name;
                worstExcess = excess;
                worstPsi = psi;
            }
        }
        if (worst == null) {
            return null;
        }
        evidence.put("input_psi", worstPsi);
        return String.format(Locale.ROOT,
            "the inputs v%d scored differ from %s's (feature '%s' PSI %.2f over the last %d vs %d examples), "
            + "so the drop is the data's doing; the drift policy handles it",
            v.version, p.describe(), worst, worstPsi, v.inputs.size(), p.inputs.size());
    }

    /** What V is judged against: its parent, pooled with the parent's nearest ancestors up to minSamples. */
    private record Baseline(List<Long> versions, long correct, long labelled, List<Map<String, Double>> inputs) {
        double accuracy() {
            return (double) correct / labelled;
        }

        String describe() {
            if (versions.size() == 1) {
                return "v" + versions.get(0);
            }
            return "v" + versions.get(0) + " with ancestors to v" + versions.get(versions.size() - 1);
        }
    }

    private static final int MAX_POOLED_VERSIONS = 20;
    /** Labelled predictions a brief parent needs before it can share the blame for a bad descendant. */
    private static final int MIN_BLAME_SAMPLES = 10;

    private Baseline baseline(VersionLedger ledger, VersionLedger.Entry parent) {
        List<Long> versions = new ArrayList<>();
        List<Map<String, Double>> inputs = new ArrayList<>();
        long correct = 0;
        long labelled = 0;
        for (VersionLedger.Entry e = parent; e != null && labelled < minSamples && versions.size() < MAX_POOLED_VERSIONS;
                e = e.parent > 0 ? ledger.find(e.parent) : null) {
            versions.add(e.version);
            correct += e.correct;
            labelled += e.labelled;
            if (e.inputs != null) {
                inputs.addAll(e.inputs);
            }
        }
        return labelled < minSamples ? null : new Baseline(versions, correct, labelled, inputs);
    }

    private static double[] column(Collection<Map<String, Double>> rows, String name) {
        double[] out = new double[rows.size()];
        int i = 0;
        for (Map<String, Double> row : rows) {
            out[i++] = row.getOrDefault(name, 0.0);
        }
        return out;
    }
}
