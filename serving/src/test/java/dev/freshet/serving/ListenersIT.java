package dev.freshet.serving;

import static dev.freshet.testing.LocalAddresses.accepts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.testing.LocalAddresses;
import dev.freshet.testing.TestCertificates;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Serving's two listeners bind where their keys say, and the metrics endpoint takes HTTPS and a token. */
@ExtendWith(EmbeddedKafkaExtension.class)
class ListenersIT {
    /** TEST-NET-3 (RFC 5737): an address no machine here has. */
    private static final String ELSEWHERE = "203.0.113.7";

    @TempDir
    Path dir;

    @Test
    void bothListenersAcceptOnlyLoopbackCallersByDefault(KafkaTestCluster cluster) throws Exception {
        InetAddress other = LocalAddresses.nonLoopbackOrSkip();
        try (ScoringServer server = ScoringServer.start(props(cluster, Map.of()))) {
            for (int port : new int[] {server.port(), server.metricsPort()}) {
                assertThat(accepts(InetAddress.getByName("127.0.0.1"), port)).as("127.0.0.1:%d", port).isTrue();
                assertThat(accepts(other, port)).as("%s:%d", other, port).isFalse();
            }
        }
    }

    @Test
    void eachListenerBindsTheAddressOfItsOwnKey(KafkaTestCluster cluster) throws Exception {
        InetAddress other = LocalAddresses.nonLoopbackOrSkip();
        try (ScoringServer server = ScoringServer.start(props(cluster, Map.of("serving.bind.address",
                other.getHostAddress(), "serving.metrics.bind.address", other.getHostAddress())))) {
            for (int port : new int[] {server.port(), server.metricsPort()}) {
                assertThat(accepts(other, port)).as("%s:%d", other, port).isTrue();
                assertThat(accepts(InetAddress.getByName("127.0.0.1"), port)).as("127.0.0.1:%d", port).isFalse();
            }
        }
    }

    @Test
    void anAddressThisMachineDoesNotHaveIsAStartErrorNamingTheKey(KafkaTestCluster cluster) {
        assertThatThrownBy(() -> ScoringServer.start(props(cluster, Map.of("serving.bind.address", ELSEWHERE))))
            .isInstanceOf(ServingException.class).hasMessageContaining(ELSEWHERE)
            .hasMessageContaining("serving.bind.address");
        assertThatThrownBy(() -> ScoringServer.start(props(cluster, Map.of("bind.address", ELSEWHERE))))
            .isInstanceOf(ServingException.class)
            .hasMessageContaining("bind.address (serving.metrics.bind.address is empty)");
        assertThatThrownBy(() -> ScoringServer.start(props(cluster, Map.of("serving.metrics.bind.address",
                "no-such-host.invalid"))))
            .isInstanceOf(ConfigException.class).hasMessageContaining("serving.metrics.bind.address")
            .hasMessageContaining("does not resolve");
    }

    @Test
    void theMetricsEndpointServesHttpsToCallersWithTheToken(KafkaTestCluster cluster) throws Exception {
        TestCertificates ca = new TestCertificates(dir, "CN=Freshet test CA");
        TestCertificates.Issued cert = ca.server();
        Path token = Files.writeString(dir.resolve("metrics.token"), "scrape-secret\n");
        try (ScoringServer server = ScoringServer.start(props(cluster, Map.of(
                "serving.metrics.tls.cert.file", cert.cert().toString(),
                "serving.metrics.tls.key.file", cert.key().toString(),
                "serving.metrics.token", "${file:" + token + "}")))) {
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(ca.caFile())).build();
            String url = "https://localhost:" + server.metricsPort() + "/metrics";

            HttpResponse<String> scraped = get(client, url, "Bearer scrape-secret");
            HttpResponse<String> refused = get(client, url, null);

            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.body()).contains("freshet_serving_swaps_total 0.0");
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).contains("Authorization: Bearer <token>", "serving.metrics.token");
            assertThat(get(client, "https://localhost:" + server.metricsPort() + "/-/healthy", null).statusCode())
                .isEqualTo(200);
        }
    }

    private Map<String, Object> props(KafkaTestCluster cluster, Map<String, String> extra) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrapServers(),
            "topics.prefix", prefix, "serving.port", 0, "serving.metrics.port", 0,
            "serving.state.dir", dir.resolve(prefix).toString()));
        props.putAll(extra);
        return props;
    }

    private static HttpResponse<String> get(HttpClient client, String url, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext trusting(Path caFile) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
