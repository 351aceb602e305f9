package dev.freshet.featurestore.internal.grpc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;

import dev.freshet.contracts.BearerTokens;
import dev.freshet.contracts.CallerAuthInterceptor;
import dev.freshet.contracts.GrpcSecurityKeys;
import dev.freshet.contracts.GrpcServer;
import dev.freshet.contracts.GrpcTls;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.StatusMapping;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.runtime.ViewSet;
import io.grpc.Status;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature store's gRPC server, on the gRPC kit every Freshet server uses: the FeatureStoreService behind the
 * one status mapping, plaintext or TLS ({@code featurestore.tls.*}), {@code ApplyFeatureViews} always behind the
 * kit's {@link CallerAuthInterceptor} (tokens or allowed client-certificate subjects) and the reads behind it too
 * with {@code featurestore.read.auth=authenticated}; gRPC health checking (NOT_SERVING until
 * {@link #markServing()}, and again from the moment shutdown begins) and server reflection, so grpcurl needs no
 * .proto. Thread-safe.
 */
public final class FeatureStoreServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureStoreServer.class);
    private static final String COMPONENT = "feature store's FeatureStoreService";
    /** The keys the feature store's TLS and authentication are set with, which every refusal names. */
    static final GrpcSecurityKeys SECURITY_KEYS = GrpcSecurityKeys.of("featurestore", "feature store",
        "freshet features apply --target HOST:PORT");
    private static final StatusMapping STATUSES = StatusMapping.of(FeatureStoreServer::known,
        "the feature store failed on this call; see its log");

    private final GrpcServer server;

    private FeatureStoreServer(GrpcServer server) {
        this.server = server;
    }

    /**
     * How callers reach the service and prove who they are, read and checked from the configuration at start, so
     * that an unreadable file or a read policy nobody could pass fails there, naming the key.
     */
    public static final class Security {
        private final GrpcTls tls;
        private final CallerAuthInterceptor auth;
        private final boolean tokens;
        private final boolean readsOpen;

        private Security(GrpcTls tls, BearerTokens tokens, boolean readsOpen) {
            this.tls = tls;
            this.auth = new CallerAuthInterceptor(tokens, tls, SECURITY_KEYS);
            this.tokens = tokens.enabled();
            this.readsOpen = readsOpen;
        }

        /**
         * @throws ConfigException naming the key, when a TLS or token file cannot be used, or reads are to be
         *     authenticated but no credential is configured
         */
        public static Security from(FeatureStoreConfig config) {
            GrpcTls tls = GrpcTls.from(config, SECURITY_KEYS);
            BearerTokens tokens = BearerTokens.from(config, SECURITY_KEYS);
            String readAuth = config.getString(FeatureStoreConfig.READ_AUTH_CONFIG).toLowerCase(Locale.ROOT);
            Security security = new Security(tls, tokens, readAuth.equals("open"));
            if (!security.readsOpen && !security.auth.enabled()) {
                throw new ConfigException(FeatureStoreConfig.READ_AUTH_CONFIG, readAuth, "authenticated reads need "
                    + "a credential to authenticate with: set " + SECURITY_KEYS.tokenFileKey() + " (or "
                    + SECURITY_KEYS.tokenKey() + ", or " + SECURITY_KEYS.allowedSubjectsKey() + " for client "
                    + "certificates), or " + FeatureStoreConfig.READ_AUTH_CONFIG + "=open");
            }
            return security;
        }
    }

    /**
     * Listens on {@code bindAddress}:{@code port} (0: any free port).
     *
     * @param registry the registry, or null when the instance runs without one
     * @param grace    how long calls in flight may take to finish on close
     * @param liveness the store's stages: health turns NOT_SERVING for good when one stops
     * @throws FeatureStoreException when the port cannot be bound
     */
    public static FeatureStoreServer start(String bindAddress, int port, Security security, RegistryTopic registry,
                                           ViewSet views, Duration grace, Liveness liveness) {
        warnIfTokensTravelInClear(bindAddress, security);
        GrpcServer.Builder builder = GrpcServer.forAddress(COMPONENT, bindAddress, port, security.tls)
            .liveness(liveness);
        try {
            FeatureStoreServer server = new FeatureStoreServer(builder.addService(new FeatureStoreService(registry,
                    views), STATUSES, new MethodAuth(security.auth, security.readsOpen))
                .grace(grace, FeatureStoreConfig.CLOSE_TIMEOUT_MS_CONFIG)
                .start());
            // GrpcServer has logged where it listens and with which TLS; this says who may call what.
            log.info("FeatureStoreService: ApplyFeatureViews {}; reads {}.", security.auth.enabled()
                    ? "needs a token or an allowed client certificate"
                    : "refused (no credential configured: set " + SECURITY_KEYS.tokenFileKey() + ")",
                security.readsOpen ? "open to every caller (" + FeatureStoreConfig.READ_AUTH_CONFIG + "=open)"
                    : "need the same credentials");
            return server;
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot start the FeatureStoreService (" + e.getMessage() + "); set "
                + FeatureStoreConfig.GRPC_PORT_CONFIG + " to a free port, 0 for any, or -1 to turn it off, or "
                + FeatureStoreConfig.GRPC_BIND_ADDRESS_CONFIG + " to an address of this machine.", e);
        }
    }

    // A token sent in plaintext to a non-loopback address can be read by anyone on the path, and replayed.
    private static void warnIfTokensTravelInClear(String bindAddress, Security security) {
        if (!security.tokens || security.tls.enabled() || loopback(bindAddress)) {
            return;
        }
        log.warn("The FeatureStoreService listens on {} (beyond this machine) in plaintext while tokens are "
            + "configured: every token a caller presents travels in clear text. Serve TLS ({} and {}), or bind "
            + "it to this machine ({}=127.0.0.1).", bindAddress, SECURITY_KEYS.certFile(), SECURITY_KEYS.keyFile(),
            FeatureStoreConfig.GRPC_BIND_ADDRESS_CONFIG);
    }

    private static boolean loopback(String bindAddress) {
        try {
            return InetAddress.getByName(bindAddress).isLoopbackAddress();
        } catch (UnknownHostException e) {
            // The bind itself will fail and say so.
            return false;
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

    /** The bound port. */
    public int port() {
        return server.port();
    }

    /** Health NOT_SERVING, then lets in-flight calls finish for up to the grace period, then cancels the rest. */
    @Override
    public void close() {
        server.close();
    }
}
