package dev.freshet.monitor.internal;

import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionLogEntry;

/** Builders for the records the monitor reads, shaped like the demo's. */
public final class TestRecords {
    public static final String MODEL = "default";

    private TestRecords() {
    }

    public static ModelVersion version(long version, long parent, long publishedAtMs, Map<Integer, Long> offsets) {
        return ModelVersion.newBuilder().setModel(MODEL).setVersion(version).setParentVersion(parent)
            .setOrigin(ModelVersion.Origin.ONLINE).setPublishedAtMs(publishedAtMs).putAllInputOffsets(offsets)
            .build();
    }

    public static PredictionLogEntry prediction(String requestId, long version, long servedAtMs) {
        return PredictionLogEntry.newBuilder().setRequestId(requestId).setEntityId("u-1").setModel(MODEL)
            .setModelVersion(version).setServedAtMs(servedAtMs).setLabel("1").build();
    }

    /** A labelled example served by {@code version}; correct or not as asked. */
    public static TrainingExample example(long version, boolean correct, Map<String, Double> features,
                                          long predictedAtMs, long labelArrivedAtMs) {
        return TrainingExample.newBuilder().setRequestId("r-" + predictedAtMs).setEntityId("u-1").setModel(MODEL)
            .setModelVersion(version).putAllFeatures(features).setLabel("1").setPredictedLabel(correct ? "1" : "0")
            .setPredictedAtMs(predictedAtMs).setLabelArrivedAtMs(labelArrivedAtMs).build();
    }

    /** Demo-like features; {@code amountScale} moves the amount distribution. */
    public static Map<String, Double> features(Random random, double amountScale) {
        Map<String, Double> f = new LinkedHashMap<>();
        f.put("amount", Math.exp(random.nextGaussian()) * 10 * amountScale);
        f.put("velocity", random.nextDouble());
        f.put(random.nextBoolean() ? "channel=web" : "channel=app", 1.0);
        f.put("is_new_device", random.nextInt(10) == 0 ? 1.0 : 0.0);
        return f;
    }

    /** A clock the test moves by hand. */
    public static final class ManualClock implements InstantSource {
        private long millis;

        public ManualClock(long millis) {
            this.millis = millis;
        }

        public void advance(long ms) {
            millis += ms;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public long millis() {
            return millis;
        }
    }
}
