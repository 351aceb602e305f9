package dev.freshet.contracts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's gRPC server, set up the one way every Freshet server is: its services behind optional TLS (and
 * client certificates), each with the interceptors it needs and optionally a {@link StatusMapping}; gRPC health
 * checking that reports NOT_SERVING until the component calls {@link #markServing()} and again from the moment
 * shutdown begins; server reflection v1 and v1alpha (grpcurl and older tools still ask for v1alpha), so no client
 * needs the {@code .proto}; and an ordered shutdown. Health and reflection stay open to every caller, for
 * load-balancer probes. Thread-safe.
 */
public final class GrpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);
    private static final long SHUTDOWN_NOW_WAIT_MS = 1000;

    private final Server server;
    private final HealthStatusManager health;
    private final List<String> healthNames;
    private final String component;
    private final Duration grace;
    private final String graceKey;
    private final Runnable onShutdown;
    private boolean serving;
    private boolean stopped;
    private boolean closed;

    private GrpcServer(Builder builder, Server server) {
        this.server = server;
        this.health = builder.health;
        this.healthNames = List.copyOf(builder.healthNames);
        this.component = builder.component;
        this.grace = builder.grace;
        this.graceKey = builder.graceKey;
        this.onShutdown = builder.onShutdown;
    }

    private void watch(Liveness liveness) {
        liveness.onStop(stop -> markStopped());
    }

    /**
     * A server that will listen on {@code bindAddress}:{@code port} (0: any free port), with {@code tls}'s
     * credentials.
     *
     * @param bindAddress an IP address or host name ({@link CommonConfig#bindAddress}); 0.0.0.0 for all interfaces
     *
     * @param component how logs name the server, e.g. {@code the scoring server for model 'default'}
     * @throws org.apache.kafka.common.config.ConfigException if a TLS file became unreadable since it was checked
     */
    public static Builder forAddress(String component, String bindAddress, int port, GrpcTls tls) {
        return new Builder(component, NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, port),
            tls.serverCredentials()), tls);
    }

    /**
     * A server on a transport the caller built (in-process in tests). {@code tls} only decides the client
     * certificate check here; the transport's own security is the caller's.
     */
    public static Builder on(String component, ServerBuilder<?> transport, GrpcTls tls) {
        return new Builder(component, transport, tls);
    }

    /**
     * Reports SERVING for the whole server and for each application service, unless shutdown has begun. Call it
     * once the component can do its job (and log why it can); later calls do nothing.
     */
    public synchronized void markServing() {
        if (serving || stopped || closed) {
            return;
        }
        serving = true;
        for (String name : healthNames) {
            health.setStatus(name, ServingStatus.SERVING);
        }
    }

    /**
     * Reports NOT_SERVING for good, while calls are still accepted: a stage the component needs has stopped, so
     * load balancers should send elsewhere. Called by the component's {@link Liveness} when the server was built
     * with {@link Builder#liveness}.
     */
    public synchronized void markStopped() {
        if (stopped || closed) {
            return;
        }
        stopped = true;
        serving = false;
        for (String name : healthNames) {
            health.setStatus(name, ServingStatus.NOT_SERVING);
        }
    }

    /**
     * Whether health reports SERVING: {@link #markServing()} was called, no stage has stopped and shutdown has not
     * begun.
     */
    public synchronized boolean serving() {
        return serving && !stopped && !closed;
    }

    /** The bound port, or -1 for a transport without one (in-process). */
    public int port() {
        return server.getPort();
    }

    /**
     * Stops in order: health NOT_SERVING (so load balancers stop sending), no new calls, the shutdown hook, up to
     * the grace period for calls in flight, then the rest cancelled. Idempotent; bounded in time.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            health.enterTerminalState();
        }
        server.shutdown();
        try {
            onShutdown.run();
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Calls to the {} still running after {}={} are being cancelled.", component, graceKey,
                    grace.toMillis());
                server.shutdownNow();
                server.awaitTermination(SHUTDOWN_NOW_WAIT_MS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** What a {@link GrpcServer} serves and how it stops. Not thread-safe; use it on one thread, then discard it. */
    public static final class Builder {
        private final String component;
        private final ServerBuilder<?> transport;
        private final GrpcTls tls;
        private final HealthStatusManager health = new HealthStatusManager();
        private final List<String> healthNames = new ArrayList<>(List.of(
            HealthStatusManager.SERVICE_NAME_ALL_SERVICES));
        private Duration grace = Duration.ofSeconds(5);
        private String graceKey = "the shutdown grace period";
        private Runnable onShutdown = () -> {
        };
        private Liveness liveness;

        private Builder(String component, ServerBuilder<?> transport, GrpcTls tls) {
            this.component = Objects.requireNonNull(component, "component");
            this.transport = Objects.requireNonNull(transport, "transport");
            this.tls = Objects.requireNonNull(tls, "tls");
        }

        /**
         * Adds a service behind {@code mapping} (outermost, so it maps and observes every refusal), then the
         * client-certificate check when certificates are required, then {@code interceptors} (as in
         * {@link ServerInterceptors#intercept}: the last listed runs first). Its health follows the server's.
         */
        public Builder addService(ServerServiceDefinition service, StatusMapping mapping,
                                  ServerInterceptor... interceptors) {
            return add(service, mapping, interceptors);
        }

        /** Adds a service behind the client-certificate check, then {@code interceptors}; no status mapping. */
        public Builder addService(ServerServiceDefinition service, ServerInterceptor... interceptors) {
            return add(service, null, interceptors);
        }

        /** As {@link #addService(ServerServiceDefinition, StatusMapping, ServerInterceptor...)}. */
        public Builder addService(BindableService service, StatusMapping mapping, ServerInterceptor... interceptors) {
            return add(service.bindService(), mapping, interceptors);
        }

        private Builder add(ServerServiceDefinition service, StatusMapping mapping, ServerInterceptor[] interceptors) {
            List<ServerInterceptor> chain = new ArrayList<>(List.of(interceptors));
            chain.add(tls.certificateCheck());
            if (mapping != null) {
                chain.add(mapping);
            }
            transport.addService(ServerInterceptors.intercept(service, chain));
            String name = service.getServiceDescriptor().getName();
            healthNames.add(name);
            health.setStatus(name, ServingStatus.NOT_SERVING);
            return this;
        }

        /**
         * How long calls in flight may take to finish once shutdown begins (default 5 s), and the key that sets it,
         * which the warning about cancelled calls names.
         */
        public Builder grace(Duration grace, String graceKey) {
            this.grace = Objects.requireNonNull(grace, "grace");
            this.graceKey = Objects.requireNonNull(graceKey, "graceKey");
            return this;
        }

        /**
         * Runs once new calls are refused and before the grace period, e.g. to end streams that never end on their
         * own. Must not block for long.
         */
        public Builder onShutdown(Runnable hook) {
            this.onShutdown = Objects.requireNonNull(hook, "hook");
            return this;
        }

        /** Health turns NOT_SERVING for good when {@code liveness} records a stopped stage. */
        public Builder liveness(Liveness liveness) {
            this.liveness = Objects.requireNonNull(liveness, "liveness");
            return this;
        }

        /**
         * Binds and starts the server, reporting NOT_SERVING until {@link GrpcServer#markServing()}.
         *
         * @throws IOException if the port cannot be bound; the caller names the key that set it
         */
        public GrpcServer start() throws IOException {
            health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
            Server server = transport.addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(legacyReflection())
                .build();
            server.start();
            List<String> addresses = server.getListenSockets().stream()
                .filter(InetSocketAddress.class::isInstance).map(Listeners::hostAndPort).toList();
            if (!addresses.isEmpty()) {
                log.info("The {} listens on {} ({}).", component, String.join(", ", addresses), tls.describe());
            }
            GrpcServer started = new GrpcServer(this, server);
            if (liveness != null) {
                started.watch(liveness);
            }
            return started;
        }

        @SuppressWarnings("deprecation")
        private static BindableService legacyReflection() {
            return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
        }
    }
}
