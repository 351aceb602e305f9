package dev.freshet.trainer.internal;

import java.util.List;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.tribuo.Model;

/**
 * What publishing one model version costs, measured on the trainer's own publishing path (the same
 * {@link LearningSession#prepareVersion} its loop calls), without widening that path in the trainer's public API.
 * Reached from outside the trainer only through {@link dev.freshet.trainer.testing.PublishCost} in the trainer's
 * test-jar, so that no other module imports the trainer's internals. Not thread-safe.
 */
public final class PublishSession {
    /** One version as the trainer would send it: its bytes, its new schema's bytes (or null), and the time taken. */
    public record Published(byte[] version, byte[] schema, long nanos) {
    }

    private final LearningSession session;
    private ModelSchema lastSchema;
    private long offset;

    /**
     * A session that has learned {@code examples} examples over {@code features} one-hot features (each example has
     * {@code perExample} of them, consecutive ids, so that every feature occurs once the examples cover them).
     */
    public PublishSession(boolean packed, int features, int examples, int perExample) {
        session = new LearningSession(new LearningSession.Settings("bench", List.of("0", "1"), 0.5, 1e-5,
            Integer.MAX_VALUE, Long.MAX_VALUE, 1, 1, "bench.training-examples"), 0);
        if (packed) {
            session.publishPacked();
        }
        learn(examples, features, perExample);
    }

    /** Learns more examples (new values for the weights; no new features once all have occurred). */
    public void learn(int examples, int features, int perExample) {
        for (int e = 0; e < examples; e++) {
            TrainingExample.Builder example = TrainingExample.newBuilder().setRequestId("r" + offset);
            long first = offset * perExample;
            int ones = 0;
            for (int j = 0; j < perExample; j++) {
                int id = (int) ((first + j) % features);
                example.putFeatures("tok=" + id, 1.0);
                ones += Integer.bitCount(id) & 1;
            }
            example.putFeatures("amount", (offset % 97) / 10.0);
            session.learn(example.setLabel(ones > perExample / 2 ? "1" : "0").build(), 0, offset++);
        }
    }

    /** Prepares and serializes the next version, as the trainer does before sending it, and confirms it. */
    public Published publish(long nowMs) {
        long start = System.nanoTime();
        LearningSession.PendingVersion pending = session.prepareVersion(nowMs);
        byte[] version = pending.version().toByteArray();
        byte[] schema = pending.newSchema().map(ModelSchema::toByteArray).orElse(null);
        long nanos = System.nanoTime() - start;
        session.published(pending, nowMs);
        pending.newSchema().ifPresent(s -> lastSchema = s);
        return new Published(version, schema, nanos);
    }

    /** Reads a version back into a Tribuo model, as serving does: whole, or from the last schema and the numbers. */
    public Model<?> read(byte[] version) throws Exception {
        ModelVersion mv = ModelVersion.parseFrom(version);
        return mv.getSchemaId().isEmpty() ? TribuoModels.deserialize(mv.getTribuoModel().toByteArray())
            : PackedVersions.toTribuo(lastSchema, mv);
    }

    public int numFeatures() {
        return session.learner().numFeatures();
    }
}
