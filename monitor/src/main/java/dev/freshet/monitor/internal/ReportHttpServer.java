package dev.freshet.monitor.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.monitor.MonitorReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live report over HTTP: {@code /} the HTML page (refreshing itself), {@code /report.json} the same as JSON,
 * {@code /metrics} in the Prometheus text format. One daemon thread answers; every request takes a fresh snapshot.
 */
final class ReportHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReportHttpServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private ReportHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code port} (0: any free port) on all interfaces and starts answering. */
    static ReportHttpServer start(int port, Supplier<MonitorReport> reports) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not serve the live report on port " + port + " ("
                + MonitorConfig.HTTP_PORT_CONFIG + "): " + e.getMessage() + "; choose a free port, 0 for any, or -1 to "
                + "disable it", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "freshet-monitor-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            try {
                switch (path) {
                    case "/", "/index.html" -> send(exchange, 200, "text/html; charset=utf-8",
                        ReportHtml.render(reports.get(), 10));
                    case "/report.json" -> send(exchange, 200, "application/json", ReportJson.render(reports.get()));
                    case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                        PrometheusMetrics.render(reports.get()));
                    default -> send(exchange, 404, "text/plain; charset=utf-8",
                        "Not found: " + path + ". Try /, /report.json or /metrics.\n");
                }
            } catch (RuntimeException e) {
                log.warn("Could not answer the report request for {}: {}", path, e.toString());
                send(exchange, 500, "text/plain; charset=utf-8", "The report could not be made: " + e + "\n");
            }
        });
        server.start();
        return new ReportHttpServer(server, executor);
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
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
