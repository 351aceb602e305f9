package dev.freshet.monitor.internal;

import java.util.Map;
import java.util.Random;

import dev.freshet.monitor.MonitorReport;
import dev.freshet.proto.features.v1.TrainingExample;

/**
 * A report with every section filled, made by the real engine: five versions over three minutes with scores, a
 * bad version v3 (rolled back), then a concept drift under v5 ('amount' shifts and the error rate rises, which the
 * error stream's Page-Hinkley detector answers with a RETRAIN; the PSI threshold is 5 and the rollback margin 0.35, so that it is the one).
 */
public final class ReportFixture {
    private ReportFixture() {
    }

    public static MonitorReport report() {
        TestRecords.ManualClock clock = new TestRecords.ManualClock(1_764_000_000_000L);
        MonitorSettings settings = new MonitorSettings("default", 50, 0.35, 3.0, false, 300, 300, 50, 5.0, 30_000,
            500, "1", 10_000, true, MonitorSettings.ChangePolicy.defaults("page-hinkley"));
        MonitorEngine engine = new MonitorEngine(settings, clock);
        Random random = new Random(3);
        engine.onModelVersion(TestRecords.version(1, 0, clock.millis(), Map.of()));
        feed(engine, clock, random, 1, 600, 0.9, 1.0);
        engine.onModelVersion(TestRecords.version(2, 1, clock.millis(), Map.of()));
        feed(engine, clock, random, 2, 200, 0.9, 1.0);
        engine.onModelVersion(TestRecords.version(3, 2, clock.millis(), Map.of()));
        feed(engine, clock, random, 3, 150, 0.3, 1.0);
        engine.onModelVersion(TestRecords.version(4, 2, clock.millis(), Map.of()));
        feed(engine, clock, random, 4, 600, 0.9, 1.0);
        engine.onModelVersion(TestRecords.version(5, 4, clock.millis(), Map.of()));
        feed(engine, clock, random, 5, 500, 0.6, 4.0);
        return engine.report();
    }

    /** {@code n} examples of {@code version} 100 ms apart, right with probability {@code skill}. */
    private static void feed(MonitorEngine engine, TestRecords.ManualClock clock, Random random, long version, int n,
                             double skill, double amountScale) {
        for (int i = 0; i < n; i++) {
            clock.advance(100);
            boolean positive = random.nextDouble() < 0.4;
            boolean correct = random.nextDouble() < skill;
            boolean predictedPositive = correct == positive;
            double p = predictedPositive ? 0.5 + 0.5 * random.nextDouble() : 0.5 * random.nextDouble();
            long t = clock.millis();
            engine.onPrediction(TestRecords.prediction("r-" + t, version, t));
            if (random.nextDouble() < 0.95) {
                TrainingExample te = TestRecords.example(version, true, TestRecords.features(random, amountScale), t,
                    t + 1500).toBuilder().setLabel(positive ? "1" : "0").setPredictedLabel(predictedPositive ? "1" : "0")
                    .putClassProbabilities("1", p).putClassProbabilities("0", 1 - p).build();
                engine.onTrainingExample(0, t, te);
            }
            if (i % 25 == 0) {
                engine.evaluate();
            }
        }
        engine.evaluate();
    }
}
