package dev.freshet.monitor.internal;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.freshet.contracts.Lineage;
import dev.freshet.monitor.MonitorReport;
import dev.freshet.monitor.MonitorReport.Action;
import dev.freshet.monitor.MonitorReport.DriftEvent;
import dev.freshet.monitor.MonitorReport.ExampleWindow;
import dev.freshet.monitor.MonitorReport.LabelCoverage;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's state and policies, fed record by record, free of Kafka. Thread-safe: every method locks the
 * engine, so {@link #report()} may be called from any thread while the polling thread feeds records.
 *
 * <p>Records of other models are ignored; a training example or prediction with an empty model name is taken
 * to be the watched model's, since a single-model producer may leave it out.
 */
final class MonitorEngine {
    static final String ISSUED_BY = "monitor";
    /** The 'feature' of drift events about the error stream. */
    static final String ERROR_RATE = "(error rate)";
    private static final Logger log = LoggerFactory.getLogger(MonitorEngine.class);
    /** Only the newest versions are re-judged; older ones no longer serve. */
    private static final int VERSIONS_JUDGED = 128;

    private final MonitorSettings settings;
    private final InstantSource clock;
    private long startedAtMs;
    private final VersionLedger ledger;
    private final RollbackPolicy rollbackPolicy;
    private final DriftDetector drift;
    private final FreshnessTracker freshness = new FreshnessTracker();
    private final RollingAccuracyWindow rolling;
    private final VersionMetrics metrics;
    private MonitorReport.DriftSnapshot lastDrift;
    /** Null when change detection is off. */
    private final ChangeDetector errorDetector;
    private PendingChange pendingChange;
    /** Labelled predictions since the accuracy floor last ordered a RETRAIN: it waits for a whole new window. */
    private long examplesSinceAccuracyCheck;
    /** predicted_at_ms of the most recent examples by ordinal, to describe the windows of an error change. */
    private final long[] predictedAtRing = new long[1 << 16];

    /** An error-rate alarm waiting for the rollback policy's word before it orders a RETRAIN. */
    private record PendingChange(String detector, double statistic, double threshold, ExampleWindow before,
                                 double beforeRate, ExampleWindow after, double afterRate, long deadlineSeq) {
    }

    private final List<DriftEvent> driftEvents = new ArrayList<>();
    private final List<Action> actions = new ArrayList<>();
    private final List<Command> outbox = new ArrayList<>();
    private final Set<String> knownCommandIds = new HashSet<>();
    private final Set<String> flaggedFeatures = new HashSet<>();
    private final Set<Long> withheldLogged = new HashSet<>();

    /**
     * Serving logs requests it could not answer before the first version loaded, with version 0, so that their
     * labels can train that version. They count for coverage, drift and freshness, not for any version's accuracy.
     */
    private static final long NO_MODEL = 0;

    private long examplesSeen;
    private long predictionsLogged;
    private long badRecords;
    private long servingVersion = -1;
    private long servingSinceMs = Long.MIN_VALUE;
    private Long lastRetrainAtMs;
    private boolean changed;

    MonitorEngine(MonitorSettings settings, InstantSource clock) {
        this.settings = settings;
        this.clock = clock;
        this.startedAtMs = clock.millis();
        this.ledger = new VersionLedger(Math.max(settings.rollbackMinSamples(), 500));
        this.rollbackPolicy = new RollbackPolicy(settings.rollbackMinSamples(), settings.rollbackMargin(),
            settings.rollbackZ(), settings.rollbackInputShiftGuard(), settings.driftPsiThreshold());
        this.drift = new DriftDetector(settings.driftReferenceExamples(), settings.driftWindowExamples(),
            settings.driftCheckEveryExamples(), settings.driftPsiThreshold());
        this.rolling = new RollingAccuracyWindow(settings.accuracyWindowExamples());
        this.metrics = new VersionMetrics(settings.reportWindowMs());
        this.errorDetector = ChangeDetector.create(settings.change());
    }

    /** For a one-shot read: the report covers what was read from this time on, not from construction. */
    synchronized void monitoringSince(long ms) {
        startedAtMs = ms;
    }

    synchronized void onModelVersion(ModelVersion mv) {
        if (!mv.getModel().equals(settings.model())) {
            return;
        }
        if (ledger.published(mv.getVersion(), mv.getParentVersion(), mv.getOrigin().name(), mv.getPublishedAtMs())
                == Lineage.Claim.CONFLICTING) {
            log.warn("Model '{}' v{} was published twice with different contents (this one: parent v{}, origin {}); "
                + "two publishers claimed the same version number. Figures for v{} now follow the newer one.",
                mv.getModel(), mv.getVersion(), mv.getParentVersion(), mv.getOrigin(), mv.getVersion());
        }
        freshness.addVersion(mv.getVersion(), mv.getInputOffsetsMap());
        changed = true;
        log.debug("Read model '{}' v{} (parent v{}, origin {}).", mv.getModel(), mv.getVersion(),
            mv.getParentVersion(), mv.getOrigin());
    }

    synchronized void onCommand(Command c) {
        if (!c.getModel().equals(settings.model()) || !knownCommandIds.add(c.getCommandId())) {
            return;
        }
        record(c);
        log.info("Read {} command {} for model '{}' issued by '{}' (target v{}, restore v{}): {}", c.getType(),
            c.getCommandId(), c.getModel(), c.getIssuedBy(), c.getTargetVersion(), c.getRestoreVersion(),
            c.getReason());
        if (c.getType() == Command.Type.RETRAIN) {
            drift.rebuildReference();
            flaggedFeatures.clear();
        }
        changed = true;
    }

    /** Makes these examples (a pinned baseline) the drift reference for good. Call before any example is read. */
    synchronized void pinDriftReference(List<TrainingExample> examples) {
        for (TrainingExample te : examples) {
            Double p = te.getClassProbabilitiesMap().get(settings.positiveLabel());
            drift.addPinned(te.getFeaturesMap(), p == null ? Double.NaN : p, te.getLabel(), te.getPredictedAtMs());
        }
        drift.freezePinned();
        changed = true;
    }

    synchronized void onPrediction(PredictionLogEntry p) {
        // Shadow scores answered nobody: they are neither served predictions nor awaiting a label.
        if (!isWatched(p.getModel()) || p.getShadow()) {
            return;
        }
        predictionsLogged++;
        if (p.getModelVersion() == NO_MODEL) {
            return;
        }
        ledger.served(p.getModelVersion(), p.getServedAtMs());
        freshness.served(p.getModelVersion(), p.getServedAtMs());
        if (p.getServedAtMs() >= servingSinceMs) {
            servingSinceMs = p.getServedAtMs();
            servingVersion = p.getModelVersion();
        }
        changed = true;
    }

    synchronized void onTrainingExample(int partition, long offset, TrainingExample te) {
        if (!isWatched(te.getModel())) {
            return;
        }
        long seq = ++examplesSeen;
        boolean correct = te.getPredictedLabel().equals(te.getLabel());
        Map<String, Double> features = te.getFeaturesMap();
        Double p = te.getClassProbabilitiesMap().get(settings.positiveLabel());
        double score = p == null ? Double.NaN : p;
        if (te.getModelVersion() != NO_MODEL) {
            ledger.labelled(te.getModelVersion(), correct, features);
            rolling.add(te.getModelVersion(), correct, te.getPredictedAtMs());
            examplesSinceAccuracyCheck++;
            metrics.add(te.getModelVersion(), te.getPredictedAtMs(), correct, score,
                te.getLabel().equals(settings.positiveLabel()));
        }
        predictedAtRing[(int) (seq % predictedAtRing.length)] = te.getPredictedAtMs();
        if (errorDetector != null && te.getModelVersion() != NO_MODEL && errorDetector.add(correct ? 0 : 1)) {
            onErrorChange(seq);
        }
        if (pendingChange != null && seq >= pendingChange.deadlineSeq()) {
            settleErrorChange();
        }
        checkAccuracyFloor();
        freshness.addExample(partition, offset, te.getLabelArrivedAtMs());
        changed = true;
        DriftDetector.Check check = drift.add(features, score, te.getLabel(), seq, te.getPredictedAtMs());
        if (check != null) {
            lastDrift = new MonitorReport.DriftSnapshot(clock.millis(), check.reference(), check.current(),
                servingVersion, settings.driftPsiThreshold(), check.all());
            if (!check.drifted().isEmpty()) {
                onDrift(check);
            }
        }
    }

    synchronized void onBadRecord(String topic, int partition, long offset, String problem) {
        badRecords++;
        log.warn("Skipped the record at {}-{} offset {} because it could not be read ({}); it is counted as bad.",
            topic, partition, offset, problem);
    }

    /** Runs the policies over what changed since the last call; returns the commands to publish, in order. */
    synchronized List<Command> evaluate() {
        if (changed) {
            changed = false;
            freshness.resolve();
            if (settings.acting()) {
                judgeVersions();
            }
        }
        List<Command> out = List.copyOf(outbox);
        outbox.clear();
        return out;
    }

    synchronized MonitorReport report() {
        freshness.resolve();
        Double coverage = predictionsLogged == 0 ? null : (double) examplesSeen / predictionsLogged;
        return new MonitorReport(settings.model(), clock.millis(), startedAtMs, examplesSeen, badRecords,
            ledger.snapshot(), rolling.snapshot(), drift.features(), drift.skipped(), driftEvents, actions,
            freshness.snapshot(), new LabelCoverage(predictionsLogged, examplesSeen, coverage), metrics.windows(),
            metrics.calibration(), lastDrift);
    }

    private boolean isWatched(String model) {
        return model.isEmpty() || model.equals(settings.model());
    }

    private void judgeVersions() {
        List<VersionLedger.Entry> newest = ledger.newest(VERSIONS_JUDGED);
        for (VersionLedger.Entry e : newest) {
            RollbackPolicy.Decision d = rollbackPolicy.evaluate(ledger, e.version);
            if (d == null) {
                continue;
            }
            if (d.withheldBecause() != null) {
                if (withheldLogged.add(d.target())) {
                    log.info("Not rolling back model '{}' v{} although {}, because {}.", settings.model(),
                        d.target(), d.reason(), d.withheldBecause());
                }
                continue;
            }
            ledger.barredByRollback(d.target());
            issue(Command.newBuilder().setType(Command.Type.ROLLBACK).setTargetVersion(d.target())
                .setRestoreVersion(d.restore()).setReason(d.reason()).putAllEvidence(d.evidence()));
        }
    }

    private void onDrift(DriftDetector.Check check) {
        long now = clock.millis();
        String worst = check.drifted().get(0);
        for (String f : check.drifted()) {
            if (check.psiByFeature().get(f) > check.psiByFeature().get(worst)) {
                worst = f;
            }
        }
        boolean coolingDown = lastRetrainAtMs != null && now - lastRetrainAtMs < settings.retrainCooldownMs();
        String outcome = !settings.acting() ? "observed by a read-only report; the running monitor decides"
            : coolingDown
            ? "retrain deferred: cooldown until " + Instant.ofEpochMilli(lastRetrainAtMs + settings.retrainCooldownMs())
            : "RETRAIN issued";
        for (String f : check.drifted()) {
            if (flaggedFeatures.add(f)) {
                DriftEvent event = new DriftEvent(now, f, "PSI", check.psiByFeature().get(f),
                    settings.driftPsiThreshold(), check.reference(), check.current(), servingVersion, outcome);
                driftEvents.add(event);
                log.info("Feature '{}' of model '{}' drifted: PSI {} > {} between reference {} and current {}, "
                    + "{}; {}.", f, settings.model(), format(event.value()), settings.driftPsiThreshold(),
                    describe(check.reference()), describe(check.current()),
                    servingVersion < 0 ? "no prediction logged yet" : "v" + servingVersion + " serving", outcome);
            }
        }
        if (coolingDown || !settings.acting()) {
            return;
        }
        Map<String, Double> evidence = new LinkedHashMap<>();
        check.drifted().forEach(f -> evidence.put("psi." + f, check.psiByFeature().get(f)));
        evidence.put("psi_threshold", settings.driftPsiThreshold());
        evidence.put("reference_examples", (double) check.reference().examples());
        evidence.put("current_examples", (double) check.current().examples());
        String reason = String.format(Locale.ROOT,
            "feature '%s' drifted: PSI %.2f > %.2f between reference %s and current %s%s: retraining from the "
            + "recent window", worst, check.psiByFeature().get(worst), settings.driftPsiThreshold(),
            describe(check.reference()), describe(check.current()),
            check.drifted().size() > 1 ? " (also drifted: " + others(check.drifted(), worst) + ")" : "");
        issue(Command.newBuilder().setType(Command.Type.RETRAIN).setTargetVersion(Math.max(0, servingVersion))
            .setReason(reason).putAllEvidence(evidence));
        drift.rebuildReference();
        flaggedFeatures.clear();
    }

    private void onErrorChange(long seq) {
        ChangeDetector d = errorDetector;
        ChangeDetector.Alarm alarm = d.lastAlarm();
        long afterFirst = Math.max(1, seq - alarm.afterCount() + 1);
        long beforeFirst = Math.max(1, afterFirst - alarm.beforeCount());
        ExampleWindow before = window(beforeFirst, afterFirst - 1);
        ExampleWindow after = window(afterFirst, seq);
        PendingChange change = new PendingChange(d.name(), alarm.statistic(), alarm.threshold(), before,
            alarm.beforeMean(), after, alarm.afterMean(), seq + settings.change().settleExamples());
        log.info("The error rate of model '{}' rose from {} over {} to {} over {} ({} {} > {}).", settings.model(),
            format(change.beforeRate()), describe(before), format(change.afterRate()), describe(after), d.name(),
            format(alarm.statistic()), format(alarm.threshold()));
        if (!settings.acting()) {
            errorEvent(change, "observed by a read-only report; the running monitor decides");
        } else if (pendingChange == null) {
            pendingChange = change;
            if (settings.change().settleExamples() == 0) {
                settleErrorChange();
            }
        }
    }

    /** Orders a RETRAIN when the rolling accuracy over a whole new window is below the floor, out of cooldown. */
    private void checkAccuracyFloor() {
        double floor = settings.change().accuracyBelow();
        int window = settings.accuracyWindowExamples();
        if (floor <= 0 || !settings.acting() || examplesSinceAccuracyCheck < window) {
            return;
        }
        MonitorReport.RollingAccuracy r = rolling.snapshot();
        if (r.accuracy() == null || r.examples() < window || r.accuracy() >= floor) {
            return;
        }
        long now = clock.millis();
        if (lastRetrainAtMs != null && now - lastRetrainAtMs < settings.retrainCooldownMs()) {
            return;
        }
        examplesSinceAccuracyCheck = 0;
        Map<String, Double> evidence = new LinkedHashMap<>();
        evidence.put("rolling_accuracy", r.accuracy());
        evidence.put("accuracy_floor", floor);
        evidence.put("window_examples", (double) r.examples());
        String reason = String.format(Locale.ROOT,
            "rolling accuracy %.2f over the last %d labelled predictions (of %s, predicted %s to %s) is below %.2f: "
            + "retraining from the recent window", r.accuracy(), r.examples(),
            r.examplesByVersion().keySet().stream().map(v -> "v" + v).reduce((a, b) -> a + ", " + b).orElse("-"),
            Instant.ofEpochMilli(r.fromPredictedAtMs()), Instant.ofEpochMilli(r.toPredictedAtMs()), floor);
        issue(Command.newBuilder().setType(Command.Type.RETRAIN).setTargetVersion(Math.max(0, servingVersion))
            .setReason(reason).putAllEvidence(evidence));
        // The feature-drift reference stays: an error-driven retrain must not hide which feature moved. Only a
        // retrain for feature drift accepts the new distribution as the reference.
    }

    /** Orders the RETRAIN of a pending error change, unless the cooldown defers it. */
    private void settleErrorChange() {
        PendingChange change = pendingChange;
        pendingChange = null;
        long now = clock.millis();
        if (lastRetrainAtMs != null && now - lastRetrainAtMs < settings.retrainCooldownMs()) {
            errorEvent(change, "retrain deferred: cooldown until "
                + Instant.ofEpochMilli(lastRetrainAtMs + settings.retrainCooldownMs()));
            return;
        }
        errorEvent(change, "RETRAIN issued");
        Map<String, Double> evidence = new LinkedHashMap<>();
        evidence.put("error_rate_before", change.beforeRate());
        evidence.put("error_rate_after", change.afterRate());
        evidence.put("examples_before", (double) change.before().examples());
        evidence.put("examples_after", (double) change.after().examples());
        evidence.put(change.detector().toLowerCase(Locale.ROOT) + "_statistic", change.statistic());
        evidence.put(change.detector().toLowerCase(Locale.ROOT) + "_threshold", change.threshold());
        String reason = String.format(Locale.ROOT,
            "error rate rose from %.2f over %s to %.2f over %s (%s %.3g > %.3g) and no rollback explained it: "
            + "retraining from the recent window", change.beforeRate(), describe(change.before()),
            change.afterRate(), describe(change.after()), change.detector(), change.statistic(), change.threshold());
        issue(Command.newBuilder().setType(Command.Type.RETRAIN).setTargetVersion(Math.max(0, servingVersion))
            .setReason(reason).putAllEvidence(evidence));
        // The feature-drift reference stays: an error-driven retrain must not hide which feature moved. Only a
        // retrain for feature drift accepts the new distribution as the reference.
    }

    private void resolvePending(String outcome) {
        PendingChange change = pendingChange;
        pendingChange = null;
        errorEvent(change, outcome);
    }

    private void errorEvent(PendingChange change, String outcome) {
        driftEvents.add(new DriftEvent(clock.millis(), ERROR_RATE, change.detector(), change.statistic(),
            change.threshold(), change.before(), change.after(), servingVersion, outcome));
    }

    private ExampleWindow window(long first, long last) {
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        long oldestKept = Math.max(1, examplesSeen - predictedAtRing.length + 1);
        for (long s = Math.max(first, oldestKept); s <= last; s++) {
            long ms = predictedAtRing[(int) (s % predictedAtRing.length)];
            from = Math.min(from, ms);
            to = Math.max(to, ms);
        }
        if (from == Long.MAX_VALUE) {
            from = to = predictedAtRing[(int) (last % predictedAtRing.length)];
        }
        return new ExampleWindow((int) (last - first + 1), first, last, from, to);
    }

    private void issue(Command.Builder builder) {
        Command c = builder.setCommandId(UUID.randomUUID().toString()).setModel(settings.model())
            .setIssuedBy(ISSUED_BY).setIssuedAtMs(clock.millis()).build();
        knownCommandIds.add(c.getCommandId());
        record(c);
        outbox.add(c);
        log.info("Issuing {} for model '{}' (target v{}, restore v{}): {}.", c.getType(), c.getModel(),
            c.getTargetVersion(), c.getRestoreVersion(), c.getReason());
    }

    private void record(Command c) {
        actions.add(new Action(c.getIssuedAtMs(), c.getType().name(), c.getTargetVersion(), c.getRestoreVersion(),
            c.getReason(), c.getEvidenceMap(), c.getIssuedBy(), c.getCommandId()));
        if (pendingChange != null) {
            resolvePending(c.getType() == Command.Type.ROLLBACK
                ? "no retrain: the ROLLBACK of v" + c.getTargetVersion() + " by " + c.getIssuedBy() + " answers it"
                : "no second retrain: " + c.getIssuedBy() + " ordered a RETRAIN meanwhile");
        }
        // A different model (restored or retrained) serves now: judge its accuracy on a whole new window.
        examplesSinceAccuracyCheck = 0;
        if (errorDetector != null) {
            // The error level of a different model (restored or retrained) is a new baseline.
            errorDetector.reset();
        }
        if (c.getType() == Command.Type.ROLLBACK) {
            ledger.barredByRollback(c.getTargetVersion());
        } else if (c.getType() == Command.Type.RETRAIN) {
            lastRetrainAtMs = lastRetrainAtMs == null ? c.getIssuedAtMs() : Math.max(lastRetrainAtMs, c.getIssuedAtMs());
        }
    }

    private static String describe(ExampleWindow w) {
        return String.format(Locale.ROOT, "examples #%d-#%d (predicted %s to %s)", w.firstExample(),
            w.lastExample(), Instant.ofEpochMilli(w.fromPredictedAtMs()), Instant.ofEpochMilli(w.toPredictedAtMs()));
    }

    private static String others(List<String> drifted, String worst) {
        return String.join(", ", drifted.stream().filter(f -> !f.equals(worst)).toList());
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
