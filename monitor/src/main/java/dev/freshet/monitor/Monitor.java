package dev.freshet.monitor;

import java.time.InstantSource;
import java.util.Map;

import dev.freshet.monitor.internal.MonitorRuntime;

/**
 * Watches one model in production: accuracy per model version from late labels, drift of the features it
 * scores, and label-to-serving freshness; rolls a much worse version back and asks for a retrain on drift, by
 * writing {@code Command}s to the {@code <prefix>commands} topic.
 *
 * <p>Reads {@code <prefix>training-examples}, {@code <prefix>predictions}, {@code <prefix>models} and
 * {@code <prefix>commands}; the topics must exist (the launcher creates them). Everything the monitor knows is
 * in memory and covers what it read since it started (see {@link MonitorReport#monitoringSinceMs()}).
 *
 * <p>Thread-safe: {@link #report()} may be called from any thread at any time, including after {@link #close()}
 * (it then returns the last state).
 */
public final class Monitor implements AutoCloseable {
    private final MonitorRuntime runtime;

    private Monitor(MonitorRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * Validates {@code props} (see {@link MonitorConfig}) and starts monitoring on a background thread.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or has an invalid value
     * @throws org.apache.kafka.common.KafkaException         if the Kafka clients cannot be created
     */
    public static Monitor start(Map<String, ?> props) {
        return new Monitor(MonitorRuntime.start(new MonitorConfig(props), InstantSource.system()));
    }

    /** An immutable snapshot of everything observed so far; never null. */
    public MonitorReport report() {
        return runtime.report();
    }

    /** Stops reading and closes the Kafka clients, waiting at most ten seconds. Idempotent. */
    @Override
    public void close() {
        runtime.close();
    }
}
