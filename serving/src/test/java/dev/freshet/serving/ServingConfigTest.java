package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.freshet.contracts.Topic;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingConfigTest {

    @Test
    void defaultsFitTheDemo() {
        ServingConfig config = new ServingConfig(Map.of("bootstrap.servers", "localhost:9092"));

        assertThat(config.getInt(ServingConfig.PORT_CONFIG)).isEqualTo(50051);
        assertThat(config.getString(ServingConfig.MODEL_NAME_CONFIG)).isEqualTo("default");
        assertThat(config.getLong(ServingConfig.SHUTDOWN_GRACE_MS_CONFIG)).isEqualTo(5000L);
        assertThat(config.topics().name(Topic.FEATURES)).isEqualTo("freshet.features");
    }

    @Test
    void rejectsAPortOutOfRangeNamingKeyAndValue() {
        assertThatThrownBy(() -> new ServingConfig(Map.of("bootstrap.servers", "localhost:9092", "serving.port", 70000)))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.port").hasMessageContaining("70000");
    }

    @Test
    void requiresBootstrapServers() {
        assertThatThrownBy(() -> new ServingConfig(Map.of()))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("bootstrap.servers");
    }

    @Test
    void documentsEveryKey() {
        assertThat(ServingConfig.configDef().names()).containsExactlyInAnyOrder("bootstrap.servers", "topics.prefix",
            "serving.port", "serving.model.name", "serving.state.dir", "serving.shutdown.grace.ms", "serving.batch.max.size",
            "serving.admin.token", "serving.admin.token.file", "serving.metrics.port", "serving.rollout.mode",
            "serving.challenger.share", "serving.tls.cert.file", "serving.tls.key.file", "serving.tls.client.ca.file",
            "serving.tls.client.auth", "serving.admin.allowed.subjects", "serving.prediction.log.linger.ms",
            "serving.prediction.log.durability", "bind.address", "serving.bind.address",
            "serving.metrics.bind.address", "serving.metrics.tls.cert.file", "serving.metrics.tls.key.file",
            "serving.metrics.token", "serving.metrics.token.file");
        ServingConfig.configDef().configKeys().values()
            .forEach(key -> assertThat(key.documentation).as(key.name).isNotBlank());
    }

    @Test
    void takesTheAdminTokenFromAFileNamedInItsValue(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("admin.token"), "from-a-file\n");
        ServingConfig config = new ServingConfig(Map.of("bootstrap.servers", "localhost:9092",
            "serving.admin.token", "${file:" + token + "}"));

        assertThat(config.getPassword(ServingConfig.ADMIN_TOKEN_CONFIG).value()).isEqualTo("from-a-file");
    }

    @Test
    void refusesAnUnknownDurabilityNamingTheAcceptedModes() {
        assertThatThrownBy(() -> new ServingConfig(Map.of("bootstrap.servers", "localhost:9092",
                "serving.prediction.log.durability", "fsync")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("serving.prediction.log.durability").hasMessageContaining("fsync")
            .satisfies(e -> assertThat(e.getMessage().toLowerCase(java.util.Locale.ROOT)).contains("acked", "async"));
    }

    @Test
    void refusesAMisspeltServingKeyNamingTheNearestOne() {
        assertThatThrownBy(() -> new ServingConfig(Map.of("bootstrap.servers", "localhost:9092", "serving.prot", 50099)))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("Unknown configuration key 'serving.prot'; did you mean 'serving.port'?");
    }

    @Test
    void leavesOtherComponentsKeysToThem() {
        assertThat(new ServingConfig(Map.of("bootstrap.servers", "localhost:9092", "trainer.model.name", "m"))
            .getString(ServingConfig.MODEL_NAME_CONFIG)).isEqualTo("default");
    }
}
