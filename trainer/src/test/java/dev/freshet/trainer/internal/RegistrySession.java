package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;

/**
 * The registry records a trainer writes per publication, and its restore from them, on the trainer's own code
 * ({@link LearningSession#prepareVersion}, {@link LearningSession#restoreCheckpoint}): for benchmarks, reached from
 * outside the trainer only through {@link dev.freshet.trainer.testing.RegistryCost}. Not thread-safe.
 */
public final class RegistrySession {
    /** One record to send: to the schemas topic or the models topic; a null value is a tombstone. */
    public record Record(boolean schema, String key, byte[] value) {
    }

    /** What a restore found: the version whose checkpoint it resumed from and the examples that state learned. */
    public record Restored(long version, long examplesLearned) {
    }

    static final String MODEL = "bench";
    private static final LearningSession.Settings SETTINGS = new LearningSession.Settings(MODEL, List.of("0", "1"),
        0.5, 1e-5, Integer.MAX_VALUE, Long.MAX_VALUE, 1, 1, "bench.training-examples");

    private final LearningSession session;
    private final boolean legacy;
    private final int features;
    private final int perExample;
    private long offset;

    /**
     * @param retained versions the registry keeps, as trainer.registry.retained.versions
     * @param legacy   write what trainers wrote before retention: every version with its checkpoint, nothing deleted
     */
    public RegistrySession(int features, int perExample, int retained, boolean legacy) {
        this.session = new LearningSession(SETTINGS, retained, 0);
        session.publishPacked();
        this.legacy = legacy;
        this.features = features;
        this.perExample = perExample;
        // Every feature occurs before the first version: one schema, as a trainer whose features are all known.
        learn((features + perExample - 1) / perExample);
    }

    private void learn(int examples) {
        for (int e = 0; e < examples; e++) {
            TrainingExample.Builder example = TrainingExample.newBuilder().setRequestId("r" + offset);
            long first = offset * perExample;
            int ones = 0;
            for (int j = 0; j < perExample; j++) {
                int id = (int) ((first + j) % features);
                example.putFeatures("tok=" + id, 1.0);
                ones += Integer.bitCount(id) & 1;
            }
            session.learn(example.setLabel(ones > perExample / 2 ? "1" : "0").build(), 0, offset++);
        }
    }

    /** Learns {@code examples} more, then the records of the next publication, in the order the trainer sends them. */
    public List<Record> publish(int examples, long nowMs) {
        learn(examples);
        LearningSession.PendingVersion pending = session.prepareVersion(nowMs);
        List<Record> records = new ArrayList<>();
        pending.newSchema().ifPresent(s -> records.add(new Record(true, RecordKeys.schemaKey(MODEL, s.getSchemaId()),
            s.toByteArray())));
        if (!legacy) {
            pending.expired().forEach(v -> records.add(new Record(false, RecordKeys.versionKey(MODEL, v), null)));
            if (pending.stripped() != null) {
                records.add(new Record(false, RecordKeys.versionKey(MODEL, pending.stripped().getVersion()),
                    pending.stripped().toByteArray()));
            }
        }
        ModelVersion mv = pending.version();
        records.add(new Record(false, RecordKeys.versionKey(MODEL, mv.getVersion()), mv.toByteArray()));
        session.published(pending, nowMs);
        return records;
    }

    /** A fresh trainer's session catching up on the registry, fed as its loop feeds it. */
    public static final class Restore {
        private final LearningSession restoring = new LearningSession(SETTINGS, 0);

        public Restore() {
            restoring.publishPacked();
        }

        /** One record read from the schemas or models topic, in the order read. */
        public void read(boolean schema, String key, byte[] value) throws InvalidProtocolBufferException {
            if (value == null) {
                if (!schema) {
                    RecordKeys.versionOf(key, MODEL).ifPresent(restoring::onVersionDeleted);
                }
            } else if (schema) {
                restoring.onSchema(ModelSchema.parseFrom(value));
            } else {
                restoring.onModelVersion(ModelVersion.parseFrom(value));
            }
        }

        /**
         * Restores from the newest checkpoint read.
         *
         * @throws IllegalStateException if there was none to restore from
         */
        public Restored restore() {
            if (!restoring.restoreCheckpoint()) {
                throw new IllegalStateException("no checkpoint to restore from");
            }
            return new Restored(restoring.currentVersion(), restoring.learner().examplesLearned());
        }
    }
}
