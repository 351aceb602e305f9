package dev.freshet.serving.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.freshet.contracts.BearerTokens;
import dev.freshet.contracts.CallerAuthInterceptor;
import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.GrpcSecurityKeys;
import dev.freshet.contracts.GrpcServer;
import dev.freshet.contracts.GrpcTls;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.RolloutMode;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.serving.ServingConfig;
import dev.freshet.serving.ServingException;
import dev.freshet.serving.ServingStats;
import io.grpc.MethodDescriptor;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the parts of a scoring server together and shuts them down in reverse order. Public only so that
 * {@link dev.freshet.serving.ScoringServer} can reach it; not an API.
 */
public final class ScoringEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScoringEngine.class);
    /**
     * Hands each message over as it is, in both directions: a request as the transport's stream, parsed by the
     * service's own marshaller inside the interceptors; a response as the service marshaller's stream, which the
     * transport drains straight into its frame. grpc-java's {@code useInputStreamMessages} copies every response
     * through a buffered stream instead: in a profile of PredictStream that copy was the largest cost Freshet's
     * path added to gRPC's own.
     */
    private static final MethodDescriptor.Marshaller<InputStream> RAW_MESSAGES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    /** The keys serving's TLS and admin authentication are set with, which every refusal names. */
    public static final GrpcSecurityKeys SECURITY_KEYS = GrpcSecurityKeys.of("serving", "serving instance",
        "freshet serving ...");

    private final String modelName;
    private final Counters counters = new Counters();
    private final Liveness liveness = new Liveness("serving");
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    // Everything opened so far, closed in reverse on close() or when startup fails half-way.
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private Path tempStateDir;
    private final OpenedParts parts = new OpenedParts();
    private ServingMetrics metrics;
    private PredictionHandler predictions;
    // Set once the server has started; a model may load (and health be updated) before that.
    private volatile GrpcServer server;
    private final long startedNanos = System.nanoTime();
    private volatile boolean modelLoaded;
    private volatile boolean featuresCaughtUp;
    private boolean reportedServing;

    private ScoringEngine(ServingConfig config) {
        this.modelName = config.getString(ServingConfig.MODEL_NAME_CONFIG);
    }

    /**
     * Starts a scoring server listening on {@code serving.port}, plaintext or TLS as {@code serving.tls.*} say.
     *
     * @throws ServingException if a topic is missing, Kafka is unreachable, the port is taken, or the state
     *                          directory cannot be used
     */
    public static ScoringEngine start(ServingConfig config) {
        return start(config, tls -> GrpcServer.forAddress(describeServer(config),
            CommonConfig.bindAddress(config, ServingConfig.BIND_ADDRESS_CONFIG), config.getInt(ServingConfig.PORT_CONFIG),
            tls));
    }

    /**
     * Starts a scoring server on {@code serverBuilder} (in-process in tests).
     *
     * @throws ServingException if a topic is missing, Kafka is unreachable, or the state directory cannot be used
     */
    public static ScoringEngine start(ServingConfig config, ServerBuilder<?> serverBuilder) {
        return start(config, tls -> GrpcServer.on(describeServer(config), serverBuilder, tls));
    }

    private static ScoringEngine start(ServingConfig config, Function<GrpcTls, GrpcServer.Builder> transport) {
        ScoringEngine engine = new ScoringEngine(config);
        try {
            engine.open(config, transport);
            return engine;
        } catch (RuntimeException e) {
            // Failing to start is not a stage stopping: close what opened (the server first), report nothing.
            engine.shuttingDown.set(true);
            if (engine.server != null) {
                engine.server.close();
            }
            engine.closeOpened();
            throw e;
        }
    }

    private static String describeServer(ServingConfig config) {
        return "scoring server for model '" + config.getString(ServingConfig.MODEL_NAME_CONFIG) + "'";
    }

    // The port is bound first, so that while the Kafka parts open (each may wait seconds for the cluster) health
    // answers NOT_SERVING and calls UNAVAILABLE, rather than a restarting instance refusing connections.
    private void open(ServingConfig config, Function<GrpcTls, GrpcServer.Builder> transport) {
        KafkaClients clients = KafkaClients.from(config.originals());
        TopicLayout topics = config.topics();
        Path stateDir = stateDir(config.getString(ServingConfig.STATE_DIR_CONFIG));
        RocksStore featureStore = remember(new RocksStore(stateDir.resolve("features")));
        RocksStore versionStore = remember(new RocksStore(stateDir.resolve("models")));
        RolloutMode mode = RolloutMode.parse(config.getString(ServingConfig.ROLLOUT_MODE_CONFIG));
        GrpcTls tls = GrpcTls.from(config, SECURITY_KEYS);
        CallerAuthInterceptor adminAuth = new CallerAuthInterceptor(BearerTokens.from(config, SECURITY_KEYS), tls,
            SECURITY_KEYS);

        startServer(config, transport, tls, adminAuth, mode, topics);
        String featuresTopic = topics.name(Topic.FEATURES);
        log.info("Scoring server for model '{}' reports NOT_SERVING while it connects to Kafka, replicates features "
            + "from '{}' and follows '{}' and '{}', until a model version has loaded and the feature replica has "
            + "caught up.", modelName, featuresTopic, topics.name(Topic.MODELS), topics.name(Topic.COMMANDS));

        FeatureReplica features = remember(new FeatureReplica(featureStore, clients, featuresTopic,
            topics.clientId("serving-features"), counters, () -> featuresCaughtUp(featuresTopic), liveness));
        ModelWatcher models = remember(new ModelWatcher(modelName, mode, versionStore, clients, topics, counters,
            this::modelLoaded, liveness));
        PredictionLog predictionLog = remember(new PredictionLog(clients, topics.name(Topic.PREDICTIONS),
            topics.clientId("serving-predictions"),
            PredictionLog.Durability.parse(config.getString(ServingConfig.PREDICTION_LOG_DURABILITY_CONFIG)),
            config.getInt(ServingConfig.PREDICTION_LOG_LINGER_MS_CONFIG), counters, liveness));
        // Without tokens or allowed certificate subjects every admin call is refused before it reaches the
        // handler, so no producer is needed.
        CommandPublisher commands = adminAuth.enabled()
            ? remember(new CommandPublisher(clients, topics.name(Topic.COMMANDS), topics.clientId("serving-admin")))
            : null;
        parts.opened(new KafkaParts(models, features, predictionLog, commands));
        log.info("Scoring server for model '{}' connected to Kafka {} ms after start.", modelName, sinceStartMs());
        // A model or the replica may have become ready while the other parts were opening.
        updateHealth();
    }

    private void startServer(ServingConfig config, Function<GrpcTls, GrpcServer.Builder> transport, GrpcTls tls,
                             CallerAuthInterceptor adminAuth, RolloutMode mode, TopicLayout topics) {
        double challengerShare = config.getDouble(ServingConfig.CHALLENGER_SHARE_CONFIG);
        AdminHandler admin = new AdminHandler(parts, modelName, challengerShare, InstantSource.system());
        metrics = remember(new ServingMetrics(ServingMetrics.Listener.of(config), counters, parts::serving));
        predictions = new PredictionHandler(parts, counters, metrics, new RolloutPolicy(mode, challengerShare),
            modelName, topics.name(Topic.MODELS), config.getInt(ServingConfig.BATCH_MAX_SIZE_CONFIG),
            shuttingDown::get, InstantSource.system());
        GrpcServer.Builder builder = transport.apply(tls)
            // Raw messages move request parsing into the status mapping's reach, so malformed bytes become
            // INVALID_ARGUMENT instead of grpc-java's INTERNAL.
            .addService(ServerInterceptors.useMarshalledMessages(predictions.bindService(), RAW_MESSAGES),
                ServingStatusMapping.create(counters, metrics))
            .addService(admin.bindService(), adminAuth)
            .grace(Duration.ofMillis(config.getLong(ServingConfig.SHUTDOWN_GRACE_MS_CONFIG)),
                ServingConfig.SHUTDOWN_GRACE_MS_CONFIG)
            // Streams never end on their own; end them (after their in-flight message) so callers reconnect.
            .onShutdown(predictions::endStreams)
            // A stage that stops for good turns health NOT_SERVING for good, so load balancers send elsewhere.
            .liveness(liveness);
        try {
            server = builder.start();
        } catch (IOException e) {
            throw new ServingException(String.format("Could not listen on %s:%d (%s); choose another "
                + "serving.port (0 for any free port) or another address with %s.",
                CommonConfig.bindAddress(config, ServingConfig.BIND_ADDRESS_CONFIG),
                config.getInt(ServingConfig.PORT_CONFIG), e.getMessage(),
                CommonConfig.bindAddressKeys(config, ServingConfig.BIND_ADDRESS_CONFIG)), e);
        }
    }

    private Path stateDir(String configured) {
        if (!configured.isEmpty()) {
            return Path.of(configured);
        }
        try {
            tempStateDir = Files.createTempDirectory("freshet-serving-");
            return tempStateDir;
        } catch (IOException e) {
            throw new ServingException("Could not create a temporary state directory (" + e.getMessage()
                + "); set serving.state.dir to a writable directory.", e);
        }
    }

    private <T extends AutoCloseable> T remember(T resource) {
        opened.push(resource);
        return resource;
    }

    private void modelLoaded(ServedModel model) {
        if (!modelLoaded) {
            modelLoaded = true;
            log.info("Model '{}' v{} loaded {} ms after start.", modelName, model.version(), sinceStartMs());
        }
        updateHealth();
    }

    private void featuresCaughtUp(String topic) {
        featuresCaughtUp = true;
        log.info("The feature replica caught up with topic '{}' (its end offsets at start, {} vectors read) in {} ms.",
            topic, counters.featureVectorsReplicated.sum(), sinceStartMs());
        updateHealth();
    }

    // SERVING only once every Kafka part is open (calls are UNAVAILABLE before) and answers use a model and every
    // entity's features as the topic held them at start: before the replica catches up, an entity would be scored
    // without its features (or with stale ones) and look unknown.
    private synchronized void updateHealth() {
        if (shuttingDown.get() || !modelLoaded || !featuresCaughtUp || !parts.isOpen() || reportedServing
            || server == null) {
            return;
        }
        reportedServing = true;
        server.markServing();
        log.info("Scoring server for model '{}' reports SERVING, {} ms after start.", modelName, sinceStartMs());
    }

    private long sinceStartMs() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** The bound port, or -1 for a server without one (in-process). */
    public int port() {
        return server == null ? -1 : server.port();
    }

    /** The Prometheus endpoint's port, or -1 when {@code serving.metrics.port} is -1. */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.port();
    }

    /** A snapshot of the counters. Thread-safe. */
    public ServingStats stats() {
        ModelWatcher.Serving now = parts.serving();
        return new ServingStats(counters.predictionsServed.sum(), counters.entitiesScored.sum(),
            counters.failuresByStatus(), now.champion() == null ? 0 : now.champion().version(),
            now.challenger() == null ? 0 : now.challenger().version(), counters.newestPublishedVersion.get(),
            counters.swaps.sum(), counters.featureVectorsReplicated.sum(), counters.predictionLogFailures.sum());
    }

    /**
     * Ordered shutdown: NOT_SERVING, stop accepting calls, let in-flight calls finish for the grace period,
     * cancel the rest, flush the prediction log, stop the followers, close the stores. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("Shutting down the scoring server for model '{}'.", modelName);
        shuttingDown.set(true);
        if (server != null) {
            server.close();
        }
        closeOpened();
        log.info("The scoring server for model '{}' has stopped.", modelName);
    }

    private void closeOpened() {
        // Reverse order of opening: the prediction log (flushed), then the followers, then the stores they write.
        while (!opened.isEmpty()) {
            AutoCloseable resource = opened.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Could not close {} cleanly: {}", resource.getClass().getSimpleName(), e.getMessage());
            }
        }
        if (tempStateDir != null) {
            deleteRecursively(tempStateDir);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.warn("Could not delete the temporary state directory {}: {}", dir, e.getMessage());
        }
    }

    /** Whether every stage of this server still runs. */
    public Liveness liveness() {
        return liveness;
    }
}
