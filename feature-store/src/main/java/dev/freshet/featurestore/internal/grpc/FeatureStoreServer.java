package dev.freshet.featurestore.internal.grpc;

import java.io.IOException;
import java.time.Duration;

import dev.freshet.contracts.GrpcServer;
import dev.freshet.contracts.GrpcTls;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.StatusMapping;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.runtime.ViewSet;
import io.grpc.ServerBuilder;
import io.grpc.Status;

/**
 * The feature store's gRPC server, on the gRPC kit every Freshet server uses: the FeatureStoreService behind the
 * one status mapping, gRPC health checking (NOT_SERVING until {@link #markServing()}, and again from the moment
 * shutdown begins) and server reflection v1 and v1alpha, so grpcurl needs no .proto. Plaintext without
 * authentication for now: TLS and the admin interceptor are the kit's {@link GrpcTls} and
 * {@link dev.freshet.contracts.CallerAuthInterceptor}, once the feature store has keys for them. Thread-safe.
 */
public final class FeatureStoreServer implements AutoCloseable {
    private static final String COMPONENT = "feature store's FeatureStoreService";
    private static final StatusMapping STATUSES = StatusMapping.of(FeatureStoreServer::known,
        "the feature store failed on this call; see its log");

    private final GrpcServer server;

    private FeatureStoreServer(GrpcServer server) {
        this.server = server;
    }

    /**
     * Listens on {@code bindAddress}:{@code port} (0: any free port).
     *
     * @param registry the registry, or null when the instance runs without one
     * @param grace    how long calls in flight may take to finish on close
     * @param liveness   the store's stages: health turns NOT_SERVING for good when one stops
     * @throws FeatureStoreException when the port cannot be bound
     */
    public static FeatureStoreServer start(String bindAddress, int port, RegistryTopic registry, ViewSet views, Duration grace,
                                           Liveness liveness) {
        return start(GrpcServer.forAddress(COMPONENT, bindAddress, port, GrpcTls.plaintext()).liveness(liveness), registry, views,
            grace);
    }

    /** On any transport, e.g. in-process in tests. */
    public static FeatureStoreServer start(ServerBuilder<?> transport, RegistryTopic registry, ViewSet views,
                                           Duration grace) {
        return start(GrpcServer.on(COMPONENT, transport, GrpcTls.plaintext()), registry, views, grace);
    }

    private static FeatureStoreServer start(GrpcServer.Builder builder, RegistryTopic registry, ViewSet views,
                                            Duration grace) {
        try {
            return new FeatureStoreServer(builder.addService(new FeatureStoreService(registry, views), STATUSES)
                .grace(grace, FeatureStoreConfig.CLOSE_TIMEOUT_MS_CONFIG)
                .start());
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot start the FeatureStoreService (" + e.getMessage() + "); set "
                + FeatureStoreConfig.GRPC_PORT_CONFIG + " to a free port, 0 for any, or -1 to turn it off, or "
                + FeatureStoreConfig.GRPC_BIND_ADDRESS_CONFIG + " to an address of this machine.", e);
        }
    }

    /** The status for one of the feature store's own exceptions, null for any other. */
    static Status known(RuntimeException e) {
        if (e instanceof InvalidFeatureViewException invalid) {
            return Status.INVALID_ARGUMENT.withDescription(invalid.getMessage() + (invalid.problems().size() > 1
                ? "\n" + String.join("\n", invalid.problems()) : ""));
        }
        if (e instanceof FeatureStoreException) {
            // Not queryable yet (starting, restoring, rebalancing) or the registry out of reach: worth a retry.
            return Status.UNAVAILABLE.withDescription(e.getMessage());
        }
        return null;
    }

    /** Health turns SERVING: the store can answer. Call once every view it runs is queryable. */
    public void markServing() {
        server.markServing();
    }

    /** Whether health reports SERVING. */
    public boolean serving() {
        return server.serving();
    }

    /** The bound port, or -1 in-process. */
    public int port() {
        return server.port();
    }

    /** Health NOT_SERVING, then lets in-flight calls finish for up to the grace period, then cancels the rest. */
    @Override
    public void close() {
        server.close();
    }
}
