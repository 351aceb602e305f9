package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class BindAddressTest {
    private static final String OWN = "test.bind.address";
    private static final ConfigDef KEYS = CommonConfig.defineBindAddress(CommonConfig.defineShared(new ConfigDef(),
        false), OWN, "the test listener");

    @Test
    void aListenerFollowsBindAddressWhichIsLoopbackByDefault() {
        assertThat(CommonConfig.bindAddress(config(Map.of()), OWN)).isEqualTo("127.0.0.1");
        assertThat(CommonConfig.bindAddress(config(Map.of("bind.address", "0.0.0.0")), OWN)).isEqualTo("0.0.0.0");
    }

    @Test
    void theListenersOwnKeyWins() {
        assertThat(CommonConfig.bindAddress(config(Map.of("bind.address", "0.0.0.0", OWN, "::1")), OWN))
            .isEqualTo("::1");
    }

    @Test
    void anAddressThatDoesNotResolveIsRefusedNamingTheKeyThatGaveIt() {
        assertThatThrownBy(() -> CommonConfig.bindAddress(config(Map.of(OWN, "no-such-host.invalid")), OWN))
            .isInstanceOf(ConfigException.class).hasMessageContaining(OWN)
            .hasMessageContaining("does not resolve");
        assertThatThrownBy(() -> CommonConfig.bindAddress(config(Map.of("bind.address", "no-such-host.invalid")),
            OWN)).isInstanceOf(ConfigException.class).hasMessageContaining("bind.address")
            .hasMessageContaining(OWN + " is empty");
    }

    @Test
    void aValueThatIsNoAddressIsRefusedAtOnce() {
        assertThatThrownBy(() -> config(Map.of(OWN, "http://example/")))
            .isInstanceOf(ConfigException.class).hasMessageContaining(OWN);
    }

    private static AbstractConfig config(Map<String, String> props) {
        return new AbstractConfig(KEYS, new HashMap<>(props), false);
    }
}
