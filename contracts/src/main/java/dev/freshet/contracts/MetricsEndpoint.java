package dev.freshet.contracts;

import java.io.IOException;
import java.util.Objects;

import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * A component's Prometheus endpoint: {@code GET /metrics} serves its {@link PrometheusRegistry} through the
 * Prometheus client library's exporter (the text format, or OpenMetrics or protobuf when the scraper asks for
 * them), on the interface the operator chose, answered by daemon threads. Each component keeps a registry of its own, so several
 * may share a JVM. Every other path goes to the component's own pages, when it has any ({@code /-/healthy} answers
 * the exporter's liveness probe). Thread-safe.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HTTPServer http;

    private MetricsEndpoint(HTTPServer http) {
        this.http = http;
    }

    /**
     * Serves {@code registry} at {@code /metrics}; other paths get the exporter's landing page.
     *
     * @param bindAddress an IP address or host name ({@link CommonConfig#bindAddress}); 0.0.0.0 for all interfaces
     * @param port 0 for any free port
     * @throws IOException if the port cannot be bound; the caller names the key that set it
     */
    public static MetricsEndpoint start(String bindAddress, int port, PrometheusRegistry registry)
            throws IOException {
        return new MetricsEndpoint(HTTPServer.builder().hostname(bindAddress).port(port).registry(registry)
            .buildAndStart());
    }

    /**
     * Serves {@code registry} at {@code /metrics} and every other path with {@code pages} (which answers 404 for
     * the paths it does not know).
     *
     * @param bindAddress an IP address or host name ({@link CommonConfig#bindAddress}); 0.0.0.0 for all interfaces
     * @param port 0 for any free port
     * @throws IOException if the port cannot be bound; the caller names the key that set it
     */
    public static MetricsEndpoint start(String bindAddress, int port, PrometheusRegistry registry, HttpHandler pages)
            throws IOException {
        Objects.requireNonNull(pages, "pages");
        return new MetricsEndpoint(HTTPServer.builder().hostname(bindAddress).port(port).registry(registry)
            .defaultHandler(pages)
            .buildAndStart());
    }

    /** The bound port (the chosen one when 0 was asked for). */
    public int port() {
        return http.getPort();
    }

    /** Stops answering at once. Idempotent. */
    @Override
    public void close() {
        http.close();
    }
}
