package dev.freshet.monitor.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.HttpSecurity;
import dev.freshet.contracts.MetricsEndpoint;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.monitor.MonitorReport;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live report over HTTP: {@code /} the HTML page (refreshing itself), {@code /report.json} the same as JSON,
 * {@code /metrics} the headline figures for Prometheus. One listener, Freshet's {@link MetricsEndpoint}, serves them
 * all, over HTTPS and behind a token when the monitor.http keys say so: the report pages are its handler for every
 * path but {@code /metrics} and {@code /-/healthy}. Every request takes a fresh snapshot.
 */
final class ReportHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReportHttpServer.class);

    private final MetricsEndpoint endpoint;

    private ReportHttpServer(MetricsEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * Binds the address and port of {@code config}'s monitor.http keys (port 0: any free port) and starts
     * answering, over HTTPS and behind a token when those keys say so.
     *
     * @throws ConfigException naming the keys when the address cannot be bound (e.g. the port is in use), or a
     *                         TLS or token file is refused
     */
    static ReportHttpServer start(MonitorConfig config, Supplier<MonitorReport> reports) {
        String bindAddress = CommonConfig.bindAddress(config, MonitorConfig.HTTP_BIND_ADDRESS_CONFIG);
        int port = config.getInt(MonitorConfig.HTTP_PORT_CONFIG);
        HttpSecurity security = HttpSecurity.from(config, MonitorConfig.HTTP_SECURITY_PREFIX);
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PrometheusMetrics(reports));
        try {
            return new ReportHttpServer(MetricsEndpoint.start(bindAddress, port, registry, security,
                exchange -> page(exchange, reports)));
        } catch (IOException e) {
            // A port in use is a setting to change, so it is refused like one.
            throw new ConfigException(MonitorConfig.HTTP_PORT_CONFIG, port, "cannot serve the live report on "
                + bindAddress + ":" + port + " (" + e.getMessage() + "); choose a free port, 0 for any, or -1 to "
                + "disable it, or another address with "
                + CommonConfig.bindAddressKeys(config, MonitorConfig.HTTP_BIND_ADDRESS_CONFIG));
        }
    }

    /** Where callers reach it, e.g. {@code https://127.0.0.1:9401}. */
    String url() {
        return endpoint.url();
    }

    /** For the start-up log, e.g. {@code HTTPS, bearer token required}. */
    String describe() {
        return endpoint.describe();
    }

    int port() {
        return endpoint.port();
    }

    @Override
    public void close() {
        endpoint.close();
    }

    private static void page(HttpExchange exchange, Supplier<MonitorReport> reports) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try {
            switch (path) {
                case "/", "/index.html" -> send(exchange, 200, "text/html; charset=utf-8",
                    ReportHtml.render(reports.get(), 10));
                case "/report.json" -> send(exchange, 200, "application/json", ReportJson.render(reports.get()));
                default -> send(exchange, 404, "text/plain; charset=utf-8",
                    "Not found: " + path + ". Try /, /report.json or /metrics.\n");
            }
        } catch (RuntimeException e) {
            log.warn("Could not answer the report request for {}: {}", path, e.toString());
            send(exchange, 500, "text/plain; charset=utf-8", "The report could not be made: " + e + "\n");
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
