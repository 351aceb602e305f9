package dev.freshet.trainer.testing;

import java.util.List;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.trainer.internal.RegistrySession;

/**
 * The trainer's registry writes and its restore, for benchmarks (the trainer's test-jar, never its public API): the
 * records each publication sends (a version, the previous one without its checkpoint, the tombstones of versions
 * leaving the retained window), or, for contrast, what trainers sent before retention. Not thread-safe.
 */
public final class RegistryCost {
    /** One record to send: to the schemas topic or the models topic; a null value is a tombstone. */
    public record Record(boolean schema, String key, byte[] value) {
    }

    private final RegistrySession session;

    /**
     * A trainer of model {@link #MODEL} that knows {@code features} one-hot features, {@code perExample} per example.
     *
     * @param retained versions kept, as trainer.registry.retained.versions
     * @param legacy   every version with its checkpoint and nothing deleted, as before retention
     */
    public RegistryCost(int features, int perExample, int retained, boolean legacy) {
        session = new RegistrySession(features, perExample, retained, legacy);
    }

    /** The model's name in the records' keys. */
    public static final String MODEL = "bench";

    /** Learns {@code examples} more examples, then returns the next publication's records in sending order. */
    public List<Record> publish(int examples, long nowMs) {
        return session.publish(examples, nowMs).stream().map(r -> new Record(r.schema(), r.key(), r.value()))
            .toList();
    }

    /** A fresh trainer catching up on the registry and restoring from its newest checkpoint. */
    public static final class Restore {
        private final RegistrySession.Restore restore = new RegistrySession.Restore();

        /** One record read from the schemas or models topic, in the order read (null value: tombstone). */
        public void read(boolean schema, String key, byte[] value) throws InvalidProtocolBufferException {
            restore.read(schema, key, value);
        }

        /** The version restored from and the examples its state had learned. */
        public long[] restore() {
            RegistrySession.Restored restored = restore.restore();
            return new long[] {restored.version(), restored.examplesLearned()};
        }
    }
}
