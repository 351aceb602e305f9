package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void servesTheRegistryAtMetricsAndTheComponentsPagesEverywhereElse() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter.builder().name("freshet_test_events_total").help("Events.").labelNames("kind").register(registry)
            .labelValues("a").inc(3);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, registry, exchange -> {
            boolean known = exchange.getRequestURI().getPath().equals("/page");
            byte[] body = (known ? "a page" : "not here").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(known ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        })) {
            HttpResponse<String> metrics = get(endpoint, "/metrics");
            HttpResponse<String> page = get(endpoint, "/page");
            HttpResponse<String> other = get(endpoint, "/other");

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type"))
                .hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(metrics.body()).contains("# TYPE freshet_test_events_total counter\n",
                "freshet_test_events_total{kind=\"a\"} 3.0\n");
            assertThat(page.body()).isEqualTo("a page");
            assertThat(other.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void aTakenPortIsAnIOExceptionForTheCallerToExplain() throws Exception {
        try (MetricsEndpoint first = MetricsEndpoint.start("127.0.0.1", 0, new PrometheusRegistry())) {
            assertThatThrownBy(() -> MetricsEndpoint.start("127.0.0.1", first.port(), new PrometheusRegistry()))
                .isInstanceOf(BindException.class);
        }
    }

    private HttpResponse<String> get(MetricsEndpoint endpoint, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + endpoint.port() + path))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
