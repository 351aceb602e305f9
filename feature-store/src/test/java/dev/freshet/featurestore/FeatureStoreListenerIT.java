package dev.freshet.featurestore;

import static dev.freshet.testing.LocalAddresses.accepts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.testing.LocalAddresses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The FeatureStoreService binds where featurestore.grpc.bind.address (or bind.address) says, loopback by default. */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureStoreListenerIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;

    @BeforeEach
    void createTopicsAndRegisterAView(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples", prefix + "feature-views");
        FeatureViewRegistry.apply(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix),
            "views:\n" + FeatureViewRegistryIT.CARDS, "test.yaml", "test", false, TIMEOUT);
    }

    @Test
    void listensOnLoopbackOnlyByDefaultAndOnTheAddressOfItsKeyWhenSet() throws Exception {
        InetAddress other = LocalAddresses.nonLoopbackOrSkip();
        try (FeatureStore store = FeatureStore.start(props(Map.of()))) {
            assertThat(accepts(InetAddress.getByName("127.0.0.1"), store.grpcPort())).isTrue();
            assertThat(accepts(other, store.grpcPort())).isFalse();
        }
        try (FeatureStore store = FeatureStore.start(props(Map.of("featurestore.grpc.bind.address",
                other.getHostAddress())))) {
            assertThat(accepts(other, store.grpcPort())).isTrue();
            assertThat(accepts(InetAddress.getByName("127.0.0.1"), store.grpcPort())).isFalse();
        }
    }

    @Test
    void anAddressThisMachineDoesNotHaveIsAStartErrorNamingTheKey() {
        assertThatThrownBy(() -> FeatureStore.start(props(Map.of("featurestore.grpc.bind.address",
                "203.0.113.7"))))
            .isInstanceOf(FeatureStoreException.class).hasMessageContaining("203.0.113.7")
            .hasMessageContaining("featurestore.grpc.bind.address");
    }

    private Map<String, Object> props(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(extra);
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.put(FeatureStoreConfig.GRPC_PORT_CONFIG, 0);
        return props;
    }
}
