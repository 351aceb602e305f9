package dev.freshet.trainer.testing;

import dev.freshet.trainer.internal.PublishSession;
import org.tribuo.Model;

/**
 * The trainer's publishing path, for benchmarks (the trainer's test-jar, never its public API): a session that has
 * learned a given number of features, publishing versions packed or whole, exactly as the trainer's loop prepares
 * them, and reading them back as serving does. Not thread-safe.
 */
public final class PublishCost {
    /** One version as the trainer would send it: its bytes, its new schema's bytes (or null), and the time taken. */
    public record Published(byte[] version, byte[] schema, long nanos) {
    }

    private final PublishSession session;

    /**
     * A session that has learned {@code examples} examples over {@code features} one-hot features, {@code perExample}
     * of them per example.
     *
     * @param packed publish the packed form (weights and a schema) rather than whole Tribuo models
     */
    public PublishCost(boolean packed, int features, int examples, int perExample) {
        session = new PublishSession(packed, features, examples, perExample);
    }

    /** Learns more examples (new values for the weights; no new features once all have occurred). */
    public void learn(int examples, int features, int perExample) {
        session.learn(examples, features, perExample);
    }

    /** Prepares and serializes the next version, as the trainer does before sending it, and confirms it. */
    public Published publish(long nowMs) {
        PublishSession.Published published = session.publish(nowMs);
        return new Published(published.version(), published.schema(), published.nanos());
    }

    /** Reads a version back into a Tribuo model, as serving does: whole, or from the last schema and the numbers. */
    public Model<?> read(byte[] version) throws Exception {
        return session.read(version);
    }

    public int numFeatures() {
        return session.numFeatures();
    }
}
