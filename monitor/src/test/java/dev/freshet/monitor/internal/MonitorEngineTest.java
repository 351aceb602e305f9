package dev.freshet.monitor.internal;

import static dev.freshet.monitor.internal.TestRecords.example;
import static dev.freshet.monitor.internal.TestRecords.features;
import static dev.freshet.monitor.internal.TestRecords.version;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.monitor.MonitorReport;
import dev.freshet.monitor.MonitorReport.VersionStats;
import dev.freshet.proto.registry.v1.Command;
import org.junit.jupiter.api.Test;

class MonitorEngineTest {
    private static final MonitorSettings DEFAULTS = new MonitorSettings("default", 50, 0.10, 3.0, true,
        1000, 1000, 250, 0.25, 30_000, 500);

    private final TestRecords.ManualClock clock = new TestRecords.ManualClock(1_000_000);
    private final Random random = new Random(7);
    private final List<Command> published = new ArrayList<>();
    private long offset;

    private MonitorEngine engine(MonitorSettings settings) {
        return new MonitorEngine(settings, clock);
    }

    /** Feeds {@code n} examples of {@code version}, the first {@code correct} of them right. */
    private void label(MonitorEngine engine, long version, int n, int correct, double amountScale) {
        for (int i = 0; i < n; i++) {
            long t = clock.millis();
            engine.onTrainingExample(0, offset++, example(version, i < correct, features(random, amountScale), t, t));
            if (i % 50 == 49) {
                published.addAll(engine.evaluate());
            }
        }
        published.addAll(engine.evaluate());
    }

    private List<Command> published(Command.Type type) {
        return published.stream().filter(c -> c.getType() == type).toList();
    }

    private static VersionStats stats(MonitorReport report, long version) {
        return report.versions().stream().filter(v -> v.version() == version).findFirst().orElseThrow();
    }

    @Test
    void requestsNoModelAnsweredCountForCoverageButForNoVersionsAccuracy() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onPrediction(TestRecords.prediction("r-0", 0, clock.millis()));
        label(engine, 0, 10, 0, 1.0);

        MonitorReport report = engine.report();
        assertThat(report.versions()).extracting(VersionStats::version).doesNotContain(0L);
        assertThat(report.rollingAccuracy().examples()).isZero();
        assertThat(report.labelCoverage().predictionsLogged()).isEqualTo(1);
        assertThat(report.examplesSeen()).isEqualTo(10);
    }

    @Test
    void computesAccuracyPerVersionFromLabelledPredictions() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(1, 0, 10, Map.of()));
        engine.onModelVersion(version(2, 1, 20, Map.of()));
        label(engine, 1, 40, 30, 1.0);
        label(engine, 2, 10, 9, 1.0);

        MonitorReport report = engine.report();

        assertThat(stats(report, 1)).satisfies(v -> {
            assertThat(v.labelledPredictions()).isEqualTo(40);
            assertThat(v.correct()).isEqualTo(30);
            assertThat(v.accuracy()).isEqualTo(0.75);
            assertThat(v.parentVersion()).isZero();
            assertThat(v.origin()).isEqualTo("ONLINE");
        });
        assertThat(stats(report, 2).accuracy()).isEqualTo(0.9);
        assertThat(report.examplesSeen()).isEqualTo(50);
    }

    @Test
    void rollingAccuracyCoversOnlyTheLastWindowAndNamesItsVersions() {
        MonitorEngine engine = engine(new MonitorSettings("default", 50, 0.10, 3.0, true, 1000, 1000, 250, 0.25,
            30_000, 20));
        label(engine, 1, 30, 30, 1.0);
        label(engine, 2, 10, 0, 1.0);

        MonitorReport.RollingAccuracy rolling = engine.report().rollingAccuracy();

        assertThat(rolling.windowExamples()).isEqualTo(20);
        assertThat(rolling.examples()).isEqualTo(20);
        assertThat(rolling.correct()).isEqualTo(10);
        assertThat(rolling.accuracy()).isEqualTo(0.5);
        assertThat(rolling.examplesByVersion()).containsExactlyInAnyOrderEntriesOf(Map.of(1L, 10, 2L, 10));
    }

    @Test
    void rollsBackAMuchWorseVersionOnceToItsParent() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(13, 12, 10, Map.of()));
        engine.onModelVersion(version(14, 13, 20, Map.of()));
        label(engine, 13, 410, 353, 1.0);
        label(engine, 14, 63, 13, 1.0);
        label(engine, 14, 100, 20, 1.0);

        assertThat(published(Command.Type.ROLLBACK)).singleElement().satisfies(c -> {
            assertThat(c.getTargetVersion()).isEqualTo(14);
            assertThat(c.getRestoreVersion()).isEqualTo(13);
            assertThat(c.getIssuedBy()).isEqualTo("monitor");
            assertThat(c.getModel()).isEqualTo("default");
            assertThat(c.getReason()).startsWith("v14 accuracy 0.2").contains("vs v13 0.86 over 410")
                .endsWith("rolling back to v13");
            assertThat(c.getEvidenceMap()).containsKeys("version_accuracy", "parent_accuracy", "z");
        });
        assertThat(stats(engine.report(), 14).barred()).isTrue();
        assertThat(stats(engine.report(), 13).barred()).isFalse();
    }

    @Test
    void judgesAVersionWhoseParentServedBrieflyAgainstTheParentsLineage() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(10, 9, 10, Map.of()));
        engine.onModelVersion(version(11, 10, 20, Map.of()));
        engine.onModelVersion(version(12, 11, 30, Map.of()));
        label(engine, 10, 200, 170, 1.0);
        label(engine, 11, 20, 17, 1.0);
        label(engine, 12, 100, 15, 1.0);

        assertThat(published(Command.Type.ROLLBACK)).singleElement().satisfies(c -> {
            assertThat(c.getTargetVersion()).isEqualTo(12);
            assertThat(c.getRestoreVersion()).isEqualTo(11);
            assertThat(c.getReason()).contains("vs v11 with ancestors to v10 0.85 over 220");
        });
    }

    @Test
    void blamesABriefParentThatWasAsBadAsItsDescendant() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(13, 12, 10, Map.of()));
        engine.onModelVersion(version(14, 13, 20, Map.of()));
        engine.onModelVersion(version(15, 14, 30, Map.of()));
        label(engine, 13, 110, 101, 1.0);
        label(engine, 14, 20, 1, 1.0);
        label(engine, 15, 69, 31, 1.0);

        assertThat(published(Command.Type.ROLLBACK)).singleElement().satisfies(c -> {
            assertThat(c.getTargetVersion()).isEqualTo(14);
            assertThat(c.getRestoreVersion()).isEqualTo(13);
            assertThat(c.getReason()).startsWith("v15 accuracy 0.45")
                .contains("v14 itself scored 0.05 over 20 against 0.92 over 110 for v13")
                .endsWith("rolling back v14 and its descendants to v13");
        });
        assertThat(stats(engine.report(), 15).barred()).isTrue();
    }

    @Test
    void doesNotBlameABriefParentWhoseFewPredictionsAreMerelyNoisy() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(12, 11, 10, Map.of()));
        engine.onModelVersion(version(13, 12, 20, Map.of()));
        engine.onModelVersion(version(14, 13, 30, Map.of()));
        label(engine, 12, 157, 144, 1.0);
        label(engine, 13, 19, 14, 1.0);
        label(engine, 14, 56, 9, 1.0);

        assertThat(published(Command.Type.ROLLBACK)).singleElement().satisfies(c -> {
            assertThat(c.getTargetVersion()).isEqualTo(14);
            assertThat(c.getRestoreVersion()).isEqualTo(13);
        });
    }

    @Test
    void keepsAVersionOnlySlightlyWorseThanItsParent() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(2, 1, 10, Map.of()));
        engine.onModelVersion(version(3, 2, 20, Map.of()));
        label(engine, 2, 1000, 860, 1.0);
        label(engine, 3, 1000, 800, 1.0);

        assertThat(published).isEmpty();
    }

    @Test
    void waitsForEnoughLabelledPredictionsBeforeRollingBack() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(2, 1, 10, Map.of()));
        engine.onModelVersion(version(3, 2, 20, Map.of()));
        label(engine, 2, 400, 350, 1.0);
        label(engine, 3, 49, 0, 1.0);

        assertThat(published).isEmpty();
    }

    @Test
    void treatsDescendantsOfAVersionRolledBackByOthersAsBarred() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(1, 0, 10, Map.of()));
        engine.onModelVersion(version(2, 1, 20, Map.of()));
        engine.onModelVersion(version(3, 2, 30, Map.of()));
        engine.onCommand(Command.newBuilder().setCommandId("op-1").setType(Command.Type.ROLLBACK).setModel("default")
            .setTargetVersion(2).setRestoreVersion(1).setIssuedBy("operator").setReason("by hand").build());
        label(engine, 2, 300, 270, 1.0);
        label(engine, 3, 100, 10, 1.0);

        // v3 descends from the barred v2, so it is barred already and needs no rollback of its own.
        assertThat(published).isEmpty();
        MonitorReport report = engine.report();
        assertThat(stats(report, 3).barred()).isTrue();
        assertThat(report.actions()).singleElement().satisfies(a -> {
            assertThat(a.issuedBy()).isEqualTo("operator");
            assertThat(a.targetVersion()).isEqualTo(2);
        });
    }

    @Test
    void findsTheNewestUnbarredAncestorPastBarredOnes() {
        VersionLedger ledger = new VersionLedger(10);
        ledger.published(1, 0, "ONLINE", 1);
        ledger.published(2, 1, "ONLINE", 2);
        ledger.published(3, 2, "ONLINE", 3);
        for (int i = 0; i < 100; i++) {
            ledger.labelled(2, i < 90, Map.of());
            ledger.labelled(3, i < 10, Map.of());
        }
        ledger.barredByRollback(2);
        ledger.published(3, 1, "ONLINE", 3);
        ledger.published(4, 3, "ONLINE", 4);
        // v4's parent v3 is not barred; bar v3 by hand to see the walk skip it.
        ledger.barredByRollback(3);
        ledger.published(5, 3, "EXTERNAL", 5);

        assertThat(ledger.newestUnbarredAncestor(5)).isEqualTo(1);
        assertThat(ledger.isBarred(4)).isTrue();
        assertThat(ledger.isBarred(1)).isFalse();
    }

    @Test
    void withholdsARollbackWhenTheVersionScoredDifferentInputs() {
        MonitorEngine engine = engine(DEFAULTS);
        engine.onModelVersion(version(2, 1, 10, Map.of()));
        engine.onModelVersion(version(3, 2, 20, Map.of()));
        label(engine, 2, 400, 350, 1.0);
        label(engine, 3, 200, 60, 5.0);

        assertThat(published(Command.Type.ROLLBACK)).isEmpty();
    }

    @Test
    void issuesRetrainNamingTheDriftedFeature() {
        MonitorEngine engine = engine(DEFAULTS);
        label(engine, 1, 2000, 1700, 1.0);
        label(engine, 1, 1000, 700, 4.0);

        MonitorReport report = engine.report();
        assertThat(report.driftEvents()).singleElement().satisfies(e -> {
            assertThat(e.feature()).isEqualTo("amount");
            assertThat(e.statistic()).isEqualTo("PSI");
            assertThat(e.value()).isGreaterThan(0.25);
            assertThat(e.threshold()).isEqualTo(0.25);
            assertThat(e.reference().examples()).isEqualTo(1000);
            assertThat(e.current().examples()).isEqualTo(1000);
            assertThat(e.outcome()).isEqualTo("RETRAIN issued");
        });
        assertThat(published(Command.Type.RETRAIN)).singleElement()
            .satisfies(c -> assertThat(c.getReason()).startsWith("feature 'amount' drifted: PSI"));
    }

    @Test
    void raisesNoDriftOnAStationaryStream() {
        MonitorEngine engine = engine(DEFAULTS);
        label(engine, 1, 10_000, 8000, 1.0);

        assertThat(engine.report().driftEvents()).isEmpty();
        assertThat(published).isEmpty();
    }

    @Test
    void defersASecondRetrainUntilTheCooldownEnds() {
        MonitorEngine engine = engine(new MonitorSettings("default", 50, 0.10, 3.0, true, 200, 200, 50, 0.25,
            60_000, 500));
        label(engine, 1, 400, 300, 1.0);
        label(engine, 1, 400, 300, 4.0);   // drift: RETRAIN, then a reference from the shifted data
        clock.advance(10_000);
        label(engine, 1, 400, 300, 16.0);  // drift again, within the cooldown
        assertThat(engine.report().driftEvents()).hasSize(2);
        assertThat(published(Command.Type.RETRAIN)).hasSize(1);
        assertThat(engine.report().driftEvents().get(1).outcome()).startsWith("retrain deferred: cooldown until");

        clock.advance(60_000);
        label(engine, 1, 50, 40, 16.0);

        assertThat(published(Command.Type.RETRAIN)).hasSize(2);
    }

    @Test
    void countsLabelCoverage() {
        MonitorEngine engine = engine(DEFAULTS);
        for (int i = 0; i < 10; i++) {
            engine.onPrediction(TestRecords.prediction("r-" + i, 1, 100 + i));
        }
        label(engine, 1, 4, 4, 1.0);

        assertThat(engine.report().labelCoverage()).isEqualTo(new MonitorReport.LabelCoverage(10, 4, 0.4));
        assertThat(stats(engine.report(), 1).predictionsServed()).isEqualTo(10);
        assertThat(stats(engine.report(), 1).firstServedAtMs()).isEqualTo(100L);
    }
}
