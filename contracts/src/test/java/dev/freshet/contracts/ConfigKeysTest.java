package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ConfigKeysTest {
    private static final ConfigDef SERVING = CommonConfig.defineShared(new ConfigDef(), true)
        .define("serving.port", ConfigDef.Type.INT, 50051, ConfigDef.Importance.HIGH, "port")
        .define("serving.admin.token", ConfigDef.Type.PASSWORD, "", ConfigDef.Importance.HIGH, "token");
    private static final ConfigDef TRAINER = new ConfigDef()
        .define("trainer.model.name", ConfigDef.Type.STRING, "default", ConfigDef.Importance.HIGH, "name");

    @Test
    void refusesATypoNamingTheNearestKey() {
        assertThatThrownBy(() -> ConfigKeys.requireKnown(Map.of("serving.prot", "50099"), List.of(SERVING, TRAINER)))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("Unknown configuration key 'serving.prot'; did you mean 'serving.port'?");
    }

    @Test
    void acceptsEveryDefinedKeyAndValidPassThroughSettings() {
        assertThatCode(() -> ConfigKeys.requireKnown(Map.of("serving.port", "1", "trainer.model.name", "m",
            "topics.prefix", "x.", "kafka.security.protocol", "SSL"), List.of(SERVING, TRAINER)))
            .doesNotThrowAnyException();
    }

    @Test
    void refusesABadPassThroughSettingToo() {
        assertThatThrownBy(() -> ConfigKeys.requireKnown(Map.of("kafka.sasl.mechansim", "PLAIN"), List.of(SERVING)))
            .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.sasl.mechanism");
    }

    @Test
    void aComponentChecksOnlyItsOwnNamespace() {
        assertThatCode(() -> ConfigKeys.requireKnownIn(Map.of("trainer.whatever", "1", "serving.port", "2"),
            SERVING, "serving.")).doesNotThrowAnyException();
        assertThatThrownBy(() -> ConfigKeys.requireKnownIn(Map.of("serving.admin.tokn", "t"), SERVING, "serving."))
            .isInstanceOf(ConfigException.class).hasMessageContaining("did you mean 'serving.admin.token'?");
    }
}
