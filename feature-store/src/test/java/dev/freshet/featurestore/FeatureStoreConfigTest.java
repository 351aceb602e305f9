package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class FeatureStoreConfigTest {

    @Test
    void appliesTheDefaults() {
        FeatureStoreConfig config = new FeatureStoreConfig(Map.of(
            "bootstrap.servers", "localhost:9092", "featurestore.view.file", "view.yaml"));

        assertThat(config.getString("topics.prefix")).isEqualTo("freshet.");
        assertThat(config.getLong("featurestore.label.wait.ms")).isEqualTo(600_000L);
        assertThat(config.getString("featurestore.state.dir")).isEmpty();
    }

    @Test
    void leavesTheViewFileOptionalAndTheGrpcServiceOff() {
        FeatureStoreConfig config = new FeatureStoreConfig(Map.of("bootstrap.servers", "localhost:9092"));

        assertThat(config.getString("featurestore.view.file")).isEmpty();
        assertThat(config.getInt("featurestore.grpc.port")).isEqualTo(-1);
    }

    @Test
    void refusesAGrpcPortOutOfRangeNamingKeyAndValue() {
        assertThatThrownBy(() -> new FeatureStoreConfig(Map.of("bootstrap.servers", "localhost:9092",
                "featurestore.grpc.port", "70000")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("featurestore.grpc.port").hasMessageContaining("70000");
    }

    @Test
    void refusesANonPositiveLabelWaitNamingKeyAndValue() {
        assertThatThrownBy(() -> new FeatureStoreConfig(Map.of("bootstrap.servers", "localhost:9092",
                "featurestore.view.file", "view.yaml", "featurestore.label.wait.ms", "0")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("featurestore.label.wait.ms").hasMessageContaining("0");
    }
}
