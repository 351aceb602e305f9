package dev.freshet.contracts;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.DefaultHandler;
import io.prometheus.metrics.exporter.httpserver.HealthyHandler;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's HTTP endpoint: {@code GET /metrics} serves its {@link PrometheusRegistry} through the Prometheus
 * client library's handler (the text format, or OpenMetrics or protobuf when the scraper asks for them), every
 * other path the component's own pages, and {@code /-/healthy} the exporter's liveness probe. It listens where the
 * operator chose, over HTTPS and behind bearer tokens when its {@link HttpSecurity} says so; {@code /-/healthy}
 * stays open to every caller, for probes, and tells nothing but "healthy". Each component keeps a registry of its
 * own, so several may share a JVM. Answered by a few daemon threads. Thread-safe.
 *
 * <p>The JDK's HTTP server is used directly, with the exporter's handlers, rather than the exporter's
 * {@code HTTPServer}: the latter puts one authenticator on every path (the probe too), and an authenticator's
 * refusal has no body, while a refused caller here is told in the body what to send.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final String METRICS_PATH = "/metrics";
    private static final int THREADS = 4;
    private static final AtomicInteger ENDPOINTS = new AtomicInteger();

    private final HttpServer http;
    private final ExecutorService threads;
    private final HttpSecurity security;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MetricsEndpoint(HttpServer http, ExecutorService threads, HttpSecurity security) {
        this.http = http;
        this.threads = threads;
        this.security = security;
    }

    /**
     * Serves {@code registry} at {@code /metrics}; other paths get the exporter's landing page.
     *
     * @param bindAddress an IP address or host name ({@link CommonConfig#bindAddress}); 0.0.0.0 for all interfaces
     * @param port        0 for any free port
     * @throws IOException if the address cannot be bound; the caller names the keys that set it
     */
    public static MetricsEndpoint start(String bindAddress, int port, PrometheusRegistry registry,
                                        HttpSecurity security) throws IOException {
        return start(bindAddress, port, registry, security, new DefaultHandler(METRICS_PATH));
    }

    /**
     * Serves {@code registry} at {@code /metrics} and every other path but {@code /-/healthy} with {@code pages}
     * (which answers 404 for the paths it does not know).
     *
     * @param bindAddress an IP address or host name ({@link CommonConfig#bindAddress}); 0.0.0.0 for all interfaces
     * @param port        0 for any free port
     * @throws IOException if the address cannot be bound; the caller names the keys that set it
     */
    public static MetricsEndpoint start(String bindAddress, int port, PrometheusRegistry registry,
                                        HttpSecurity security, HttpHandler pages) throws IOException {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(pages, "pages");
        InetSocketAddress address = new InetSocketAddress(bindAddress, port);
        if (address.isUnresolved()) {
            throw new IOException("the address '" + bindAddress + "' does not resolve");
        }
        HttpServer http;
        if (security.tls()) {
            HttpsServer https = HttpsServer.create(address, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(security.sslContext()));
            http = https;
        } else {
            http = HttpServer.create(address, 0);
        }
        Filter tokenCheck = tokenCheck(security);
        guard(http.createContext(METRICS_PATH, new MetricsHandler(PrometheusProperties.get(), registry)),
            tokenCheck);
        guard(http.createContext("/", pages), tokenCheck);
        http.createContext("/-/healthy", new HealthyHandler());
        int id = ENDPOINTS.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, task -> {
            Thread t = new Thread(task, "freshet-http-" + id + "-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        http.start();
        MetricsEndpoint endpoint = new MetricsEndpoint(http, threads, security);
        if (security.tokenRequired() && !security.tls() && !address.getAddress().isLoopbackAddress()) {
            log.warn("The endpoint at {} asks for a token over plain HTTP: anyone on the network path can read the "
                + "token; set {} and {} to serve HTTPS.", endpoint.url(), security.certKey(), security.keyKey());
        }
        return endpoint;
    }

    private static void guard(HttpContext context, Filter tokenCheck) {
        if (tokenCheck != null) {
            context.getFilters().add(tokenCheck);
        }
    }

    private static Filter tokenCheck(HttpSecurity security) {
        if (!security.tokenRequired()) {
            return null;
        }
        byte[] refusal = security.refusal().getBytes(StandardCharsets.UTF_8);
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                if (security.identify(exchange.getRequestHeaders().getFirst("Authorization")).isPresent()) {
                    chain.doFilter(exchange);
                    return;
                }
                try (exchange) {
                    exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
                    exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"freshet\"");
                    exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"freshet\", charset=\"UTF-8\"");
                    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                    exchange.sendResponseHeaders(401, refusal.length);
                    exchange.getResponseBody().write(refusal);
                }
            }

            @Override
            public String description() {
                return "bearer token check";
            }
        };
    }

    /** The bound port (the chosen one when 0 was asked for). */
    public int port() {
        return http.getAddress().getPort();
    }

    /**
     * Where callers reach it, for the start-up log: scheme, the address actually bound and the port, e.g.
     * {@code https://127.0.0.1:9400}.
     */
    public String url() {
        return security.scheme() + "://" + Listeners.hostAndPort(http.getAddress());
    }

    /** For the start-up log, e.g. {@code HTTPS, bearer token required}. */
    public String describe() {
        return security.describe();
    }

    /** Stops answering at once. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        http.stop(0);
        threads.shutdownNow();
    }
}
