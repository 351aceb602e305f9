package dev.freshet.featurestore.internal.runtime;

import java.time.Duration;
import java.util.Properties;

import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.internal.streams.Counters;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One Kafka Streams application of the feature store (the label join, or one version of one view). */
final class StreamsApp {
    private static final Logger log = LoggerFactory.getLogger(StreamsApp.class);

    private final String applicationId;
    private final KafkaStreams streams;
    private final Counters counters;
    private final java.nio.file.Path stateDir;
    private final Liveness liveness;
    private final String stage;
    private volatile ReadOnlyKeyValueStore<String, byte[]> store;
    /** Set before a close on purpose, so that the states it passes through are not taken for a failure. */
    private volatile boolean closing;

    /**
     * @param baseProps the shared Streams settings; the application id is set here
     * @param stage how this application is named in {@code liveness}, which is told when it stops for good other
     *     than by {@link #close}
     */
    StreamsApp(String applicationId, Topology topology, Properties baseProps, Counters counters, Liveness liveness,
            String stage) {
        this.applicationId = applicationId;
        this.counters = counters;
        this.liveness = liveness;
        this.stage = stage + " (application '" + applicationId + "')";
        Properties props = new Properties();
        props.putAll(baseProps);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        this.stateDir = java.nio.file.Path.of(props.getProperty(StreamsConfig.STATE_DIR_CONFIG), applicationId);
        this.streams = new KafkaStreams(topology, props);
        // Bad input is dead-lettered before it can get here, so this is a fault an operator must see: Kafka Streams
        // logs it with its stack trace, and the liveness record says which stage stopped. An OutOfMemoryError in a
        // stream thread comes here too; nothing here allocates more than a short string.
        String identity = KafkaClients.identityOf(props);
        streams.setUncaughtExceptionHandler(e -> {
            if (!closing) {
                // A missing ACL or a refused password is the operator's to fix: say which, not just that it failed.
                liveness.stopped(this.stage, KafkaAccessException.find(e, identity, sending(e) ? "writing records" : null)
                    .map(RuntimeException::getMessage)
                    .orElseGet(() -> "an unexpected failure in a stream thread: " + rootCause(e)));
            }
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((newState, oldState) -> {
            boolean stopping = newState == KafkaStreams.State.ERROR || newState == KafkaStreams.State.PENDING_ERROR
                || newState == KafkaStreams.State.PENDING_SHUTDOWN || newState == KafkaStreams.State.NOT_RUNNING;
            if (stopping && !closing) {
                liveness.stopped(this.stage, "its Kafka Streams client went from " + oldState + " to " + newState
                    + " without being closed");
            }
        });
    }

    /** Whether the failure came from writing: Kafka Streams' producer side raised or wrapped it. */
    private static boolean sending(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains("sending record")) {
                return true;
            }
            for (StackTraceElement frame : cause.getStackTrace()) {
                String className = frame.getClassName();
                if (className.endsWith(".RecordCollectorImpl") || className.endsWith(".StreamsProducer")
                        || className.endsWith(".KafkaProducer")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The innermost cause, which names what went wrong (the outer ones name where). */
    private static String rootCause(Throwable e) {
        Throwable cause = e;
        for (int depth = 0; cause.getCause() != null && cause.getCause() != cause && depth < 10; depth++) {
            cause = cause.getCause();
        }
        return cause == e ? e.toString() : e.getClass().getSimpleName() + " caused by " + cause;
    }

    void start() {
        streams.start();
    }

    String applicationId() {
        return applicationId;
    }

    Counters counters() {
        return counters;
    }

    KafkaStreams.State state() {
        return streams.state();
    }

    KafkaStreams streams() {
        return streams;
    }

    /**
     * A value of a key-value store of this application.
     *
     * @throws FeatureStoreException when the store is not queryable (starting, restoring or rebalancing)
     */
    byte[] get(String storeName, String key) {
        ReadOnlyKeyValueStore<String, byte[]> current = store;
        if (current == null) {
            try {
                current = streams.store(StoreQueryParameters.fromNameAndType(storeName,
                    QueryableStoreTypes.keyValueStore()));
            } catch (InvalidStateStoreException e) {
                throw new FeatureStoreException("The feature store application '" + applicationId
                    + "' is not queryable yet (state " + streams.state() + "); retry once it is RUNNING.", e);
            }
            store = current;
        }
        try {
            return current.get(key);
        } catch (InvalidStateStoreException e) {
            // A rebalance moved the partitions; the next call looks the store up again.
            store = null;
            throw new FeatureStoreException("The feature store application '" + applicationId + "' is rebalancing "
                + "(state " + streams.state() + "); retry shortly.", e);
        }
    }

    /**
     * Commits, leaves the group and closes the state stores, waiting at most {@code timeout}.
     *
     * @return whether it stopped in time
     */
    boolean close(Duration timeout) {
        closing = true;
        // Leaving the group lets a restarted instance take the partitions at once instead of after a session
        // timeout.
        boolean stopped = streams.close(CloseOptions.groupMembershipOperation(
            CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(timeout));
        if (!stopped) {
            log.warn("The feature store application '{}' did not stop within {} ms; some state may be restored from "
                + "the changelog on the next start.", applicationId, timeout.toMillis());
        }
        return stopped;
    }

    /**
     * Removes this application's local state, its directory included; only once it is closed. Its changelog and
     * repartition topics stay on the broker (Kafka Streams has no call to delete them; kafka-streams-application-
     * reset does).
     */
    void cleanUp() {
        streams.cleanUp();
        try (java.util.stream.Stream<java.nio.file.Path> paths = java.nio.file.Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (java.nio.file.NoSuchFileException e) {
            // Already gone.
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            log.warn("Could not remove the local state {} of the stopped application '{}': {}.", stateDir,
                applicationId, e.toString());
        }
    }
}
