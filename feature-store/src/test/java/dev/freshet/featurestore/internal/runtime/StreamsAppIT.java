package dev.freshet.featurestore.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.featurestore.internal.streams.Counters;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A feature-store Streams application reports to its liveness when it stops for good, an OutOfMemoryError in its
 * stream thread included, and reports nothing when it is closed on purpose.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class StreamsAppIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path stateDir;

    private KafkaTestCluster cluster;
    private String topic;

    @BeforeEach
    void createTopic(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.topic = KafkaTestCluster.uniqueTopic("input");
        cluster.createTopics(topic);
    }

    @Test
    void anOutOfMemoryErrorInAStreamThreadIsRecordedAsAStop() {
        Liveness liveness = new Liveness("feature-store");
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topic, Consumed.with(Serdes.String(), Serdes.String())).foreach((key, value) -> {
            throw new OutOfMemoryError("Java heap space (simulated)");
        });
        StreamsApp app = new StreamsApp(KafkaTestCluster.uniquePrefix() + "oom", builder.build(), props(), new Counters(),
            liveness, "view 'oom' v1");
        try {
            app.start();
            cluster.produceStrings(topic, List.of(Map.entry("k", "v")));

            KafkaTestCluster.await("the stop recorded", TIMEOUT, () -> !liveness.alive());
            assertThat(liveness.stopped()).hasValueSatisfying(stop -> {
                assertThat(stop.stage()).startsWith("view 'oom' v1 (application '");
                assertThat(stop.reason()).contains("OutOfMemoryError");
            });
        } finally {
            app.close(Duration.ofSeconds(30));
        }
    }

    @Test
    void aCloseOnPurposeRecordsNothing() {
        Liveness liveness = new Liveness("feature-store");
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topic, Consumed.with(Serdes.String(), Serdes.String())).foreach((key, value) -> { });
        StreamsApp app = new StreamsApp(KafkaTestCluster.uniquePrefix() + "quiet", builder.build(), props(),
            new Counters(), liveness, "view 'quiet' v1");
        app.start();
        KafkaTestCluster.await("RUNNING", TIMEOUT, () -> app.state() == KafkaStreams.State.RUNNING);

        assertThat(app.close(Duration.ofSeconds(30))).isTrue();

        assertThat(app.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        assertThat(liveness.stopped()).isEmpty();
    }

    private Properties props() {
        Properties props = KafkaClients.of(cluster.bootstrapServers()).streamsProperties("unused", Map.of());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }
}
