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
    private static final Logger log = LoggerFactory.getLogger(MonitorEngine.class);
    /** Only the newest versions are re-judged; older ones no longer serve. */
    private static final int VERSIONS_JUDGED = 128;

    private final MonitorSettings settings;
    private final InstantSource clock;
    private final long startedAtMs;
    private final VersionLedger ledger;
    private final RollbackPolicy rollbackPolicy;
    private final DriftDetector drift;
    private final FreshnessTracker freshness = new FreshnessTracker();
    private final RollingAccuracyWindow rolling;

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
    }

    synchronized void onModelVersion(ModelVersion mv) {
        if (!mv.getModel().equals(settings.model())) {
            return;
        }
        ledger.published(mv.getVersion(), mv.getParentVersion(), mv.getOrigin().name(), mv.getPublishedAtMs());
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

    synchronized void onPrediction(PredictionLogEntry p) {
        if (!isWatched(p.getModel())) {
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
        if (te.getModelVersion() != NO_MODEL) {
            ledger.labelled(te.getModelVersion(), correct, features);
            rolling.add(te.getModelVersion(), correct, te.getPredictedAtMs());
        }
        freshness.addExample(partition, offset, te.getLabelArrivedAtMs());
        changed = true;
        DriftDetector.Check check = drift.add(features, seq, te.getPredictedAtMs());
        if (check != null && !check.drifted().isEmpty()) {
            onDrift(check);
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
            judgeVersions();
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
            freshness.snapshot(), new LabelCoverage(predictionsLogged, examplesSeen, coverage));
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
        String outcome = coolingDown
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
        if (coolingDown) {
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
