package dev.freshet.monitor;

import static dev.freshet.testing.LocalAddresses.accepts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.testing.LocalAddresses;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The live report listens where monitor.http.bind.address says and, with a token set, answers token holders only. */
@ExtendWith(EmbeddedKafkaExtension.class)
class LiveReportAccessIT {
    private final HttpClient http = HttpClient.newHttpClient();
    @TempDir
    Path dir;

    @Test
    void withATokenFileEveryPageButTheProbeNeedsOneOfItsTokens(KafkaTestCluster cluster) throws Exception {
        Path tokens = Files.writeString(dir.resolve("report.tokens"), "prometheus:scrape-7\nalice:page-8\n");
        Map<String, Object> props = props(cluster);
        props.put("monitor.http.token.file", tokens.toString());
        try (Monitor monitor = Monitor.start(props)) {
            String base = "http://127.0.0.1:" + monitor.httpPort();
            for (String path : new String[] {"/", "/report.json", "/metrics"}) {
                HttpResponse<String> refused = get(base + path, null);
                assertThat(refused.statusCode()).as(path).isEqualTo(401);
                assertThat(refused.body()).as(path).contains("Authorization: Bearer <token>",
                    "monitor.http.token.file");
                assertThat(get(base + path, "Bearer scrape-7").statusCode()).as(path).isEqualTo(200);
            }
            // A browser asked for Basic credentials sends the token as the password.
            String basic = "Basic " + Base64.getEncoder().encodeToString("alice:page-8"
                .getBytes(StandardCharsets.UTF_8));
            assertThat(get(base + "/", basic).body()).contains("<h1>Model <code>default</code></h1>");
            assertThat(get(base + "/-/healthy", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theReportListensOnlyWhereItsBindAddressSays(KafkaTestCluster cluster) throws Exception {
        InetAddress other = LocalAddresses.nonLoopbackOrSkip();
        try (Monitor loopback = Monitor.start(props(cluster))) {
            assertThat(accepts(InetAddress.getByName("127.0.0.1"), loopback.httpPort())).isTrue();
            assertThat(accepts(other, loopback.httpPort())).isFalse();
        }
        Map<String, Object> props = props(cluster);
        props.put("monitor.http.bind.address", other.getHostAddress());
        try (Monitor outside = Monitor.start(props)) {
            assertThat(accepts(other, outside.httpPort())).isTrue();
            assertThat(accepts(InetAddress.getByName("127.0.0.1"), outside.httpPort())).isFalse();
        }
    }

    @Test
    void anAddressThisMachineDoesNotHaveIsRefusedNamingTheKey(KafkaTestCluster cluster) {
        Map<String, Object> props = props(cluster);
        props.put("monitor.http.bind.address", "203.0.113.7");

        assertThatThrownBy(() -> Monitor.start(props)).isInstanceOf(ConfigException.class)
            .hasMessageContaining("203.0.113.7").hasMessageContaining("monitor.http.bind.address");
    }

    private Map<String, Object> props(KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "predictions", prefix + "models",
            prefix + "commands");
        Map<String, Object> props = new HashMap<>();
        props.put(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(MonitorConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(MonitorConfig.HTTP_PORT_CONFIG, 0);
        return props;
    }

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
