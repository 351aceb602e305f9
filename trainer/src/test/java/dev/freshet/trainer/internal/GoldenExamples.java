package dev.freshet.trainer.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.freshet.proto.features.v1.TrainingExample;

/**
 * The examples the golden registry files in {@code src/test/resources/golden} were learned from, and the probes their
 * recorded predictions were taken on. Changing either makes those files meaningless: they were written once.
 */
final class GoldenExamples {
    static final String MODEL = "golden";
    static final String TOPIC = "golden.training-examples";
    static final int EXAMPLES = 150;
    static final long PUBLISHED_AT_MS = 1_767_225_600_000L;

    private GoldenExamples() {
    }

    /**
     * Example i: a dense numeric feature, a one-hot category, a feature that joins mid-stream and a numeric feature
     * that is dense at first and then goes missing (so the checkpoint holds both kinds of standardisation).
     */
    static Map<String, Double> features(int i) {
        Map<String, Double> f = new LinkedHashMap<>();
        f.put("amount", 40.0 + (i * 37 % 101) * 0.75);
        f.put("channel=" + (i % 3 == 0 ? "web" : i % 3 == 1 ? "app" : "store"), 1.0);
        if (i >= 60) {
            f.put("late", (i % 5) * 0.5);
        }
        if (i < 90 || i % 4 == 0) {
            f.put("hour", (double) (i * 7 % 24));
        }
        return f;
    }

    static String label(int i, Map<String, Double> f) {
        double s = f.get("amount") + (f.containsKey("channel=web") ? 15 : 0) - 8 * f.getOrDefault("late", 0.0)
            + (i % 11 == 0 ? 30 : 0);
        return s > 75 ? "1" : "0";
    }

    /** Three classes for the multiclass learner. */
    static int classOf(int i, Map<String, Double> f) {
        double a = f.get("amount");
        return a < 58 ? 0 : a < 80 ? 1 : 2;
    }

    /** A numeric target for the regression learner. */
    static double target(int i, Map<String, Double> f) {
        return 3.0 + 0.2 * f.get("amount") - 4.0 * f.getOrDefault("late", 0.0)
            + (f.containsKey("channel=app") ? 2.5 : 0.0) + (i % 13 == 0 ? 9.0 : 0.0);
    }

    static TrainingExample example(int i) {
        Map<String, Double> f = features(i);
        return TrainingExample.newBuilder().setRequestId("golden-" + i).putAllFeatures(f).setLabel(label(i, f))
            .setLabelArrivedAtMs(PUBLISHED_AT_MS - (EXAMPLES - i) * 1000L).build();
    }

    /**
     * Feature vectors to predict on, including an unknown feature and a missing dense one; in name order, since the
     * order of a sum decides its last bits and the recorded predictions are exact.
     */
    static List<Map<String, Double>> probes() {
        return Stream.of(
            Map.of("amount", 50.0, "channel=web", 1.0, "hour", 3.0),
            Map.of("amount", 95.0, "channel=app", 1.0, "late", 2.0, "hour", 20.0),
            Map.of("amount", 70.0, "channel=store", 1.0),
            Map.of("amount", 62.5, "late", 1.0, "channel=unseen", 1.0),
            Map.<String, Double>of()).<Map<String, Double>>map(TreeMap::new).toList();
    }
}
