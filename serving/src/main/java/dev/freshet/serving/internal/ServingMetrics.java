package dev.freshet.serving.internal;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Supplier;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.HttpSecurity;
import dev.freshet.contracts.MetricsEndpoint;
import dev.freshet.serving.ServingConfig;
import dev.freshet.serving.ServingException;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus metrics of one scoring server, in a registry of its own (several servers may share a JVM), and
 * the {@link MetricsEndpoint} serving them when {@code serving.metrics.port} is not -1. Recording is lock-free and
 * thread-safe.
 *
 * <p>Series labelled by model version are kept for the {@value #VERSIONS_KEPT} newest versions that answered
 * (and always for the champion and challenger): the trainer publishes a version every few seconds, and one series
 * per version ever published would grow without bound.
 */
final class ServingMetrics implements AutoCloseable {
    /**
     * Where and how the endpoint listens.
     *
     * @param port            -1 for no endpoint, 0 for any free port
     * @param bindAddressKeys the keys that chose the address, for the error when it cannot be bound
     */
    record Listener(String bindAddress, int port, HttpSecurity security, String bindAddressKeys) {
        /** No endpoint. */
        static final Listener NONE = new Listener("127.0.0.1", -1, HttpSecurity.open(), "");

        static Listener of(ServingConfig config) {
            int port = config.getInt(ServingConfig.METRICS_PORT_CONFIG);
            if (port < 0) {
                return NONE;
            }
            return new Listener(CommonConfig.bindAddress(config, ServingConfig.METRICS_BIND_ADDRESS_CONFIG), port,
                HttpSecurity.from(config, ServingConfig.METRICS_SECURITY_PREFIX),
                CommonConfig.bindAddressKeys(config, ServingConfig.METRICS_BIND_ADDRESS_CONFIG));
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ServingMetrics.class);
    static final int VERSIONS_KEPT = 10;
    // Seconds; Predict takes tens of microseconds to a few milliseconds.
    private static final double[] LATENCY_BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter calls;
    private final Histogram latency;
    private final Counter predictions;
    private final ConcurrentSkipListSet<Long> versionsSeen = new ConcurrentSkipListSet<>();
    private final Map<SeriesKey, DistributionDataPoint> latencyPoints = new ConcurrentHashMap<>();
    private final Map<SeriesKey, CounterDataPoint> predictionPoints = new ConcurrentHashMap<>();
    private final Supplier<ModelWatcher.Serving> serving;
    private final MetricsEndpoint http;
    // A racy cache is fine: a stale read only means one more map lookup.
    private volatile Cached<DistributionDataPoint> lastLatency;
    private volatile Cached<CounterDataPoint> lastPrediction;

    /**
     * @param port -1 for no endpoint, 0 for any free port
     * @throws ServingException if the port cannot be bound
     */
    ServingMetrics(Listener listener, Counters counters, Supplier<ModelWatcher.Serving> serving) {
        this.serving = serving;
        calls = Counter.builder().name("freshet_serving_calls_total")
            .help("Predict, PredictBatch and PredictStream calls that ended, by method and gRPC status code "
                + "(DEADLINE_EXCEEDED and CANCELLED included).")
            .labelNames("method", "code").register(registry);
        latency = Histogram.builder().name("freshet_serving_latency_seconds")
            .help("Time from a request reaching the handler to its answer, by method and model version: per call "
                + "for Predict and PredictBatch, per message for PredictStream. Answered requests only.")
            .labelNames("method", "model_version").classicOnly().classicUpperBounds(LATENCY_BOUNDS)
            .register(registry);
        predictions = Counter.builder().name("freshet_serving_predictions_total")
            .help("Predictions made (one per entity), by model version and role (champion, challenger; shadow "
                + "scores are role challenger_shadow).")
            .labelNames("model_version", "role").register(registry);
        CounterWithCallback.builder().name("freshet_serving_swaps_total")
            .help("Times the champion was replaced by another version (rollbacks included; the first load is not).")
            .callback(cb -> cb.call(counters.swaps.sum())).register(registry);
        CounterWithCallback.builder().name("freshet_serving_feature_vectors_replicated_total")
            .help("Feature-vector records copied from the features topic into the local replica.")
            .callback(cb -> cb.call(counters.featureVectorsReplicated.sum())).register(registry);
        CounterWithCallback.builder().name("freshet_serving_prediction_log_failures_total")
            .help("Predictions that could not be written to the predictions topic.")
            .callback(cb -> cb.call(counters.predictionLogFailures.sum())).register(registry);
        GaugeWithCallback.builder().name("freshet_serving_model_version")
            .help("The version serving in each role; absent while none.")
            .labelNames("role")
            .callback(cb -> {
                ModelWatcher.Serving now = serving.get();
                if (now.champion() != null) {
                    cb.call(now.champion().version(), "champion");
                }
                if (now.challenger() != null) {
                    cb.call(now.challenger().version(), "challenger");
                }
            }).register(registry);
        GaugeWithCallback.builder().name("freshet_serving_newest_published_version")
            .help("The newest version of the model in the registry, barred or not.")
            .callback(cb -> cb.call(counters.newestPublishedVersion.get())).register(registry);
        this.http = listener.port() < 0 ? null : startHttp(listener);
    }

    private MetricsEndpoint startHttp(Listener listener) {
        try {
            MetricsEndpoint server = MetricsEndpoint.start(listener.bindAddress(), listener.port(), registry,
                listener.security());
            log.info("Serving Prometheus metrics at {}/metrics ({}).", server.url(), server.describe());
            return server;
        } catch (IOException e) {
            throw new ServingException(String.format("Could not serve metrics on %s:%d (%s); choose another "
                + "serving.metrics.port (0 for any free port, -1 to turn the endpoint off) or another address "
                + "with %s.", listener.bindAddress(), listener.port(), e.getMessage(), listener.bindAddressKeys()),
                e);
        }
    }

    /** The endpoint's port, or -1 when it is off. */
    int port() {
        return http == null ? -1 : http.port();
    }

    PrometheusRegistry registry() {
        return registry;
    }

    void callEnded(String method, Status.Code code) {
        calls.labelValues(method, code.name()).inc();
    }

    void answered(String method, long modelVersion, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        // Most calls repeat the last series: skip the map lookup for them.
        Cached<DistributionDataPoint> last = lastLatency;
        if (last != null && last.version == modelVersion && last.label.equals(method)) {
            last.point.observe(seconds);
            return;
        }
        // Label lookups build a list and a string per call; on the request path, reuse the data point instead.
        DistributionDataPoint point = latencyPoints.computeIfAbsent(new SeriesKey(method, modelVersion),
            key -> latency.labelValues(key.label(), Long.toString(key.version())));
        lastLatency = new Cached<>(method, modelVersion, point);
        point.observe(seconds);
    }

    void predicted(long modelVersion, String role) {
        Cached<CounterDataPoint> last = lastPrediction;
        if (last != null && last.version == modelVersion && last.label.equals(role)) {
            last.point.inc();
            return;
        }
        if (versionsSeen.add(modelVersion)) {
            forgetOldVersions();
        }
        CounterDataPoint point = predictionPoints.computeIfAbsent(new SeriesKey(role, modelVersion),
            key -> predictions.labelValues(Long.toString(key.version()), key.label()));
        lastPrediction = new Cached<>(role, modelVersion, point);
        point.inc();
    }

    private record SeriesKey(String label, long version) {
    }

    private record Cached<P>(String label, long version, P point) {
    }

    private void forgetOldVersions() {
        ModelWatcher.Serving now = serving.get();
        for (Long version : versionsSeen) {
            if (versionsSeen.size() <= VERSIONS_KEPT) {
                return;
            }
            if (isServing(now.champion(), version) || isServing(now.challenger(), version)) {
                continue;
            }
            versionsSeen.remove(version);
            lastLatency = null;
            lastPrediction = null;
            String label = Long.toString(version);
            latencyPoints.keySet().removeIf(key -> key.version() == version);
            predictionPoints.keySet().removeIf(key -> key.version() == version);
            latency.removeIf(labels -> labels.get(1).equals(label));
            predictions.removeIf(labels -> labels.get(0).equals(label));
        }
    }

    private static boolean isServing(ServedModel model, long version) {
        return model != null && model.version() == version;
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
    }
}
