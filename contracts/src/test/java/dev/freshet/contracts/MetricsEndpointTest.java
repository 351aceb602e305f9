package dev.freshet.contracts;

import static dev.freshet.testing.LocalAddresses.accepts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import com.sun.net.httpserver.HttpHandler;
import dev.freshet.testing.LocalAddresses;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsEndpointTest {
    private static final String PREFIX = "test.http.";
    private static final ConfigDef KEYS = HttpSecurity.define(new ConfigDef(), PREFIX, "the test listener");
    private static final HttpHandler PAGE = exchange -> {
        boolean known = exchange.getRequestURI().getPath().equals("/page");
        byte[] body = (known ? "a page" : "not here").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(known ? 200 : 404, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    };

    private final HttpClient http = HttpClient.newHttpClient();
    @TempDir
    Path dir;

    @Test
    void servesTheRegistryAtMetricsAndTheComponentsPagesEverywhereElse() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter.builder().name("freshet_test_events_total").help("Events.").labelNames("kind").register(registry)
            .labelValues("a").inc(3);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, registry, HttpSecurity.open(), PAGE)) {
            HttpResponse<String> metrics = get(endpoint.url() + "/metrics", null);
            HttpResponse<String> page = get(endpoint.url() + "/page", null);
            HttpResponse<String> other = get(endpoint.url() + "/other", null);

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type"))
                .hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(metrics.body()).contains("# TYPE freshet_test_events_total counter\n",
                "freshet_test_events_total{kind=\"a\"} 3.0\n");
            assertThat(page.body()).isEqualTo("a page");
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(get(endpoint.url() + "/-/healthy", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTakenPortIsAnIOExceptionForTheCallerToExplain() throws Exception {
        try (MetricsEndpoint first = MetricsEndpoint.start("127.0.0.1", 0, new PrometheusRegistry(),
                HttpSecurity.open())) {
            assertThatThrownBy(() -> MetricsEndpoint.start("127.0.0.1", first.port(), new PrometheusRegistry(),
                HttpSecurity.open())).isInstanceOf(BindException.class);
        }
    }

    @Test
    void listensOnlyOnTheAddressItIsGiven() throws Exception {
        Optional<InetAddress> other = LocalAddresses.nonLoopback();
        assumeThat(other).as("this machine has an IPv4 address besides loopback").isPresent();
        try (MetricsEndpoint loopback = MetricsEndpoint.start("127.0.0.1", 0, new PrometheusRegistry(),
                HttpSecurity.open());
             MetricsEndpoint outside = MetricsEndpoint.start(other.get().getHostAddress(), 0,
                 new PrometheusRegistry(), HttpSecurity.open())) {
            assertThat(loopback.url()).isEqualTo("http://127.0.0.1:" + loopback.port());
            assertThat(outside.url()).isEqualTo("http://" + other.get().getHostAddress() + ":" + outside.port());
            assertThat(accepts(other.get(), loopback.port())).isFalse();
            assertThat(accepts(InetAddress.getLoopbackAddress(), outside.port())).isFalse();
            assertThat(get(outside.url() + "/metrics", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void withATokenARequestWithoutTheTokenIsToldWhatToSend() throws Exception {
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, new PrometheusRegistry(),
                security(Map.of(PREFIX + "token", "t0ken-for-tests")), PAGE)) {
            for (String path : new String[] {"/metrics", "/page", "/"}) {
                HttpResponse<String> missing = get(endpoint.url() + path, null);
                HttpResponse<String> wrong = get(endpoint.url() + path, "Bearer not-the-token");

                assertThat(missing.statusCode()).as(path).isEqualTo(401);
                assertThat(wrong.statusCode()).as(path).isEqualTo(401);
                assertThat(missing.body()).contains("send 'Authorization: Bearer <token>'", "credentials_file",
                    PREFIX + "token", PREFIX + "token.file").doesNotContain("t0ken-for-tests");
                assertThat(missing.headers().allValues("WWW-Authenticate")).anyMatch(v -> v.startsWith("Bearer"))
                    .anyMatch(v -> v.startsWith("Basic"));
            }
            assertThat(get(endpoint.url() + "/metrics", "Bearer t0ken-for-tests").statusCode()).isEqualTo(200);
            assertThat(get(endpoint.url() + "/page", "Bearer t0ken-for-tests").body()).isEqualTo("a page");
            assertThat(get(endpoint.url() + "/-/healthy", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void warnsWhenATokenWouldCrossTheNetworkInPlainHttp() throws Exception {
        Optional<InetAddress> other = LocalAddresses.nonLoopback();
        assumeThat(other).as("this machine has an IPv4 address besides loopback").isPresent();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream originalErr = System.err;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(other.get().getHostAddress(), 0,
                new PrometheusRegistry(), security(Map.of(PREFIX + "token", "cleartext-token")))) {
            assertThat(endpoint.describe()).isEqualTo("plain HTTP, bearer token required");
        } finally {
            System.setErr(originalErr);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("asks for a token over plain HTTP",
            PREFIX + "tls.cert.file").doesNotContain("cleartext-token");
    }

    @Test
    void acceptsEveryTokenOfTheTokenFileAsBearerOrAsBasicPassword() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "# scrapers\nprometheus:scrape-one\nops:scrape-two\n");
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, new PrometheusRegistry(),
                security(Map.of(PREFIX + "token.file", tokens.toString())))) {
            assertThat(get(endpoint.url() + "/metrics", "Bearer scrape-one").statusCode()).isEqualTo(200);
            assertThat(get(endpoint.url() + "/metrics", "bearer scrape-two").statusCode()).isEqualTo(200);
            assertThat(get(endpoint.url() + "/metrics", basic("anyone", "scrape-two")).statusCode()).isEqualTo(200);
            assertThat(get(endpoint.url() + "/metrics", basic("scrape-one", "wrong")).statusCode()).isEqualTo(401);
            assertThat(get(endpoint.url() + "/metrics", "Bearer prometheus").statusCode()).isEqualTo(401);
        }
    }

    @Test
    void servesHttpsWithTheConfiguredCertificateAndRefusesPlainHttp() throws Exception {
        SelfSignedPem pem = SelfSignedPem.make(dir);
        HttpSecurity security = security(Map.of(PREFIX + "tls.cert.file", pem.cert().toString(),
            PREFIX + "tls.key.file", pem.key().toString(), PREFIX + "token", "over-tls"));
        HttpClient tls = HttpClient.newBuilder().sslContext(pem.clientContext()).build();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, new PrometheusRegistry(), security)) {
            assertThat(endpoint.url()).isEqualTo("https://127.0.0.1:" + endpoint.port());
            assertThat(endpoint.describe()).isEqualTo("HTTPS, bearer token required");

            assertThat(send(tls, endpoint.url() + "/metrics", "Bearer over-tls").statusCode()).isEqualTo(200);
            assertThat(send(tls, endpoint.url() + "/metrics", null).statusCode()).isEqualTo(401);
            assertThatThrownBy(() -> get("http://127.0.0.1:" + endpoint.port() + "/metrics", "Bearer over-tls"))
                .isInstanceOf(IOException.class);
            // A client that does not trust the certificate does not get through the handshake.
            assertThatThrownBy(() -> get(endpoint.url() + "/metrics", "Bearer over-tls"))
                .isInstanceOf(IOException.class);
        }
    }

    @Test
    void refusesHalfATlsSettingOrAFileThatIsNotPemNamingTheKey() throws Exception {
        SelfSignedPem pem = SelfSignedPem.make(dir);
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");

        assertThatThrownBy(() -> security(Map.of(PREFIX + "tls.cert.file", pem.cert().toString())))
            .isInstanceOf(ConfigException.class).hasMessageContaining(PREFIX + "tls.key.file")
            .hasMessageContaining("HTTPS needs both");
        assertThatThrownBy(() -> security(Map.of(PREFIX + "tls.cert.file", notPem.toString(),
            PREFIX + "tls.key.file", pem.key().toString())))
            .isInstanceOf(ConfigException.class).hasMessageContaining(PREFIX + "tls.cert.file");
        assertThatThrownBy(() -> security(Map.of(PREFIX + "tls.cert.file", pem.cert().toString(),
            PREFIX + "tls.key.file", pem.cert().toString())))
            .isInstanceOf(ConfigException.class).hasMessageContaining(PREFIX + "tls.key.file")
            .hasMessageContaining("PKCS#8");
    }

    private static HttpSecurity security(Map<String, String> props) {
        return HttpSecurity.from(new AbstractConfig(KEYS, new HashMap<>(props), false), PREFIX);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
            .getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String url, String authorization) throws IOException, InterruptedException {
        return send(http, url, authorization);
    }

    private static HttpResponse<String> send(HttpClient client, String url, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
