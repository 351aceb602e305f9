package dev.freshet.featurestore.internal.grpc;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.runtime.ViewSet;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;

/**
 * The feature store's gRPC server: the FeatureStoreService, gRPC health checking (SERVING while it runs) and server
 * reflection, so grpcurl needs no .proto.
 */
public final class FeatureStoreServer {
    private final Server server;
    private final HealthStatusManager health;

    private FeatureStoreServer(Server server, HealthStatusManager health) {
        this.server = server;
        this.health = health;
    }

    /**
     * Listens on the port (0: any free port) on all interfaces.
     *
     * @param registry the registry, or null when the instance runs without one
     * @throws FeatureStoreException when the port cannot be bound
     */
    public static FeatureStoreServer start(int port, RegistryTopic registry, ViewSet views) {
        return start(Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create()), registry, views);
    }

    /** On any transport, e.g. in-process in tests. */
    public static FeatureStoreServer start(ServerBuilder<?> builder, RegistryTopic registry, ViewSet views) {
        HealthStatusManager health = new HealthStatusManager();
        Server server = builder.addService(new FeatureStoreService(registry, views))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
        try {
            server.start();
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot start the FeatureStoreService (" + e.getMessage() + "); set "
                + "featurestore.grpc.port to a free port, 0 for any, or -1 to turn it off.", e);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        return new FeatureStoreServer(server, health);
    }

    public int port() {
        return server.getPort();
    }

    /** Lets in-flight calls finish for up to {@code grace}, then cancels the rest. */
    public void close(Duration grace) {
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
    }
}
