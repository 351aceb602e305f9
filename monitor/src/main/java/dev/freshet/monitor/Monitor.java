package dev.freshet.monitor;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;

import dev.freshet.contracts.Liveness;
import dev.freshet.monitor.internal.MonitorRuntime;
import dev.freshet.monitor.internal.OneShotRead;

/**
 * Watches one model in production: accuracy per model version from late labels, drift of the features it
 * scores, and label-to-serving freshness; rolls a much worse version back and asks for a retrain on drift, by
 * writing {@code Command}s to the {@code <prefix>commands} topic.
 *
 * <p>Reads {@code <prefix>training-examples}, {@code <prefix>predictions}, {@code <prefix>models} and
 * {@code <prefix>commands}; the topics must exist (the launcher creates them). Everything the monitor knows is
 * in memory and covers what it read since it started (see {@link MonitorReport#monitoringSinceMs()}).
 *
 * <p>With {@code monitor.http.port} set, it also serves its report live over HTTP (HTML, JSON, Prometheus);
 * {@link #readOnce} makes the same report from the topics without a running monitor.
 *
 * <p>Thread-safe: {@link #report()} may be called from any thread at any time, including after {@link #close()}
 * (it then returns the last state).
 */
public final class Monitor implements AutoCloseable {
    private final MonitorRuntime runtime;
    private final Liveness liveness;

    private Monitor(MonitorRuntime runtime, Liveness liveness) {
        this.runtime = runtime;
        this.liveness = liveness;
    }

    /**
     * Validates {@code props} (see {@link MonitorConfig}) and starts monitoring on a background thread.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or has an invalid value
     * @throws org.apache.kafka.common.KafkaException         if the Kafka clients cannot be created
     */
    public static Monitor start(Map<String, ?> props) {
        Liveness liveness = new Liveness("monitor");
        return new Monitor(MonitorRuntime.start(new MonitorConfig(props), InstantSource.system(), liveness), liveness);
    }

    /**
     * Checks {@code props} as {@link #start} would, without connecting to anything: every key's value, the policy
     * file ({@code monitor.policy.file}) and the pinned reference range. Lets a launcher refuse a bad configuration
     * before it creates anything.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key, or the policy file with every problem
     */
    public static void validate(Map<String, ?> props) {
        MonitorRuntime.validate(new MonitorConfig(props));
    }

    /**
     * Reads the topics of {@code props}' cluster and prefix from the beginning to their current end, once, with the
     * monitor's own logic, and returns the report: accuracy, drift and every action recorded on the commands topic.
     * Read-only: no consumer group, nothing committed, no command issued (drift found here is reported, not acted
     * on). Blocks the calling thread.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or has an invalid value
     * @throws org.apache.kafka.common.KafkaException         if a topic is missing or the end is not reached within
     *                                                        {@code timeout}
     */
    public static MonitorReport readOnce(Map<String, ?> props, Duration timeout) {
        return OneShotRead.read(new MonitorConfig(props), timeout);
    }

    /**
     * The port the live report is served on ({@code monitor.http.port}; useful when it was 0), or -1 when it is
     * disabled.
     */
    public int httpPort() {
        return runtime.httpPort();
    }

    /**
     * Whether the monitoring thread still runs. It stops for good on a command it cannot publish (a rollback the
     * report shows but serving never got) or an unexpected error, and then reports here once; {@link #close()}
     * reports nothing. The live report over HTTP keeps answering with the last state.
     */
    public Liveness liveness() {
        return liveness;
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
