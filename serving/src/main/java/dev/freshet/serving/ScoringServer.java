package dev.freshet.serving;

import java.util.Map;

import dev.freshet.contracts.Liveness;
import dev.freshet.serving.internal.ScoringEngine;
import io.grpc.ServerBuilder;

/**
 * A running gRPC scoring server: the {@code PredictionService} (Predict, PredictBatch, PredictStream), the
 * {@code AdminService} (status, pin, unpin, rollback, promote) behind a bearer token or an allowed client
 * certificate, gRPC health checking, server reflection, and optionally a Prometheus endpoint
 * ({@code serving.metrics.port}). Plaintext, or TLS (optionally mutual) with {@code serving.tls.*}.
 *
 * <p>It keeps a local replica of the {@code <prefix>features} topic (keyed {@code <view>/<entity id>}; every view's
 * vector of an entity is merged at lookup), serves the newest non-barred version of {@code serving.model.name}
 * from the {@code <prefix>models} topic (hot-swapped as versions arrive, rolled back on ROLLBACK commands from
 * {@code <prefix>commands}), and writes every prediction to {@code <prefix>predictions}
 * ({@code serving.prediction.log.durability} says whether before or after answering). The port is bound before the
 * Kafka clients connect: until they have, Predict answers UNAVAILABLE; until a version has loaded, FAILED_PRECONDITION.
 * Health is NOT_SERVING until a model version has loaded and the feature replica has read everything the features
 * topic held at start, and again for good once a stage stops ({@link #liveness()}). Thread-safe.
 */
public final class ScoringServer implements AutoCloseable {
    private final ScoringEngine engine;

    private ScoringServer(ScoringEngine engine) {
        this.engine = engine;
    }

    /**
     * Starts a scoring server listening on {@code serving.port}: binds the port first (health NOT_SERVING), then
     * connects to Kafka. Returns once both are done; model versions and features keep loading in the background.
     *
     * @param props keys of {@link ServingConfig}
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or invalid
     * @throws ServingException if a topic is missing, Kafka cannot be reached, the port is taken or the state
     *                          directory cannot be used
     */
    public static ScoringServer start(Map<String, ?> props) {
        return new ScoringServer(ScoringEngine.start(new ServingConfig(props)));
    }

    /** Starts a scoring server on a given transport (in-process in tests). */
    static ScoringServer start(Map<String, ?> props, ServerBuilder<?> serverBuilder) {
        return new ScoringServer(ScoringEngine.start(new ServingConfig(props), serverBuilder));
    }

    /** The port the server is bound to (the chosen one when {@code serving.port} is 0); -1 for in-process. */
    public int port() {
        return engine.port();
    }

    /**
     * The port of the Prometheus endpoint ({@code GET /metrics}): the chosen one when {@code serving.metrics.port}
     * is 0, -1 when the endpoint is off (the default).
     */
    public int metricsPort() {
        return engine.metricsPort();
    }

    /**
     * Whether every stage still runs (the model watcher, the feature replica, the prediction-log writer); when one
     * stops for good, health turns NOT_SERVING and the first reason is kept here.
     */
    public Liveness liveness() {
        return engine.liveness();
    }

    /** A snapshot of what the server has done so far. Never null; thread-safe. */
    public ServingStats stats() {
        return engine.stats();
    }

    /**
     * Stops the server in order: health NOT_SERVING, stop accepting calls, end open PredictStreams with
     * UNAVAILABLE once their in-flight message is answered, wait up to
     * {@code serving.shutdown.grace.ms} for in-flight calls, cancel the rest, flush and close the prediction log,
     * stop reading topics, close the local replica. Idempotent; bounded in time.
     */
    @Override
    public void close() {
        engine.close();
    }
}
