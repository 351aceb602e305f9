package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.freshet.contracts.BearerTokens;
import dev.freshet.serving.ServingConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serving's admin token keys, read by the gRPC kit's {@link BearerTokens}. */
class AdminTokensTest {
    @TempDir
    Path dir;

    @Test
    void theConfiguredTokenStandsForAdminAndFileTokensForTheirIdentity() throws IOException {
        Path file = Files.writeString(dir.resolve("tokens"), "# ops\n\ncarol:c-token\n");

        BearerTokens tokens = tokens(config(Map.of("serving.admin.token", "s3cret",
            "serving.admin.token.file", file.toString())));

        assertThat(tokens.identify("s3cret")).hasValue("admin");
        assertThat(tokens.identify("c-token")).hasValue("carol");
        assertThat(tokens.identify("c-toke")).isEmpty();
    }

    @Test
    void noTokensMeansAdminIsDisabled() {
        assertThat(tokens(config(Map.of())).enabled()).isFalse();
    }

    @Test
    void aMalformedLineFailsAtStartNamingTheKeyAndLine() throws IOException {
        Path file = Files.writeString(dir.resolve("tokens"), "carol:c\njust-a-token\n");

        assertThatThrownBy(() -> tokens(config(Map.of("serving.admin.token.file", file.toString()))))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.admin.token.file").hasMessageContaining("line 2 is not '<identity>:<token>'");
    }

    private static BearerTokens tokens(ServingConfig config) {
        return BearerTokens.from(config, ScoringEngine.SECURITY_KEYS);
    }

    private static ServingConfig config(Map<String, String> extra) {
        Map<String, String> props = new java.util.HashMap<>(extra);
        props.put("bootstrap.servers", "localhost:9092");
        return new ServingConfig(props);
    }
}
