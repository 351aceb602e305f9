package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.freshet.contracts.GrpcTls;
import dev.freshet.serving.ServingConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serving's TLS keys, read by the gRPC kit's {@link GrpcTls}: every refusal names serving's own keys. */
class TlsSettingsTest {
    @TempDir
    Path dir;

    @Test
    void requiringClientCertificatesWithoutAClientCaIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> settings(Map.of("serving.tls.client.auth", "require")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.tls.client.auth")
            .hasMessageContaining("needs serving.tls.client.ca.file");
    }

    @Test
    void allowedSubjectsWithoutClientCertificatesAreRefused() {
        assertThatThrownBy(() -> settings(Map.of("serving.admin.allowed.subjects", "CN=alice")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.admin.allowed.subjects")
            .hasMessageContaining("needs serving.tls.client.ca.file");
    }

    @Test
    void aSubjectThatIsNotADistinguishedNameIsRefusedWithAnExample() {
        assertThatThrownBy(() -> settings(Map.of("serving.admin.allowed.subjects", "alice")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("'alice' is not a distinguished name")
            .hasMessageContaining("e.g. 'CN=alice,OU=ops,O=Example'");
    }

    @Test
    void aCertificateWithoutAKeyIsRefused() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");

        assertThatThrownBy(() -> settings(Map.of("serving.tls.cert.file", cert.toString())))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("TLS needs both serving.tls.cert.file and serving.tls.key.file");
    }

    @Test
    void aKeyThatIsNotPkcs8IsRefusedSayingHowToConvertIt() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not a certificate");
        Path key = Files.writeString(dir.resolve("key.pem"),
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");

        assertThatThrownBy(() -> settings(Map.of("serving.tls.cert.file", cert.toString(),
                "serving.tls.key.file", key.toString())))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.tls.cert.file")
            .hasMessageContaining("not a PEM certificate");
    }

    @Test
    void aMissingFileIsRefusedNamingTheKeyAndThePath() {
        assertThatThrownBy(() -> settings(Map.of("serving.tls.client.ca.file", "/nonexistent/ca.pem")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.tls.client.ca.file")
            .hasMessageContaining("/nonexistent/ca.pem")
            .hasMessageContaining("does not exist or cannot be read");
    }

    private static GrpcTls settings(Map<String, String> extra) {
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", "localhost:9092"));
        props.putAll(extra);
        return GrpcTls.from(new ServingConfig(props), ScoringEngine.SECURITY_KEYS);
    }
}
