package dev.freshet.monitor;

import static dev.freshet.monitor.internal.TestRecords.example;
import static dev.freshet.monitor.internal.TestRecords.features;
import static dev.freshet.monitor.internal.TestRecords.version;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.freshet.contracts.Liveness;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A monitor that cannot publish a rollback stops and says so, instead of showing a rollback nobody obeys; closing
 * it on purpose reports nothing.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class MonitorSupervisionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Random random = new Random(11);
    private final String prefix = KafkaTestCluster.uniquePrefix();
    private long clock = 1_764_000_000_000L;

    @Test
    void aRollbackTheClusterRefusesStopsTheMonitorAndARestartAfterTheFixIssuesIt(KafkaTestCluster cluster)
            throws Exception {
        cluster.createTopics(prefix + "training-examples", prefix + "predictions", prefix + "models",
            prefix + "commands");
        // The broker refuses any command record: a real, non-retriable refusal (RecordTooLargeException).
        setMaxMessageBytes(cluster, prefix + "commands", 16);
        for (long v = 1; v <= 3; v++) {
            produce(cluster, prefix + "models", "default/" + v, List.of(version(v, v - 1, clock, Map.of())));
        }
        examples(cluster, 1, 200, 170);
        examples(cluster, 2, 300, 258);
        examples(cluster, 3, 100, 20);
        Map<String, Object> props = new HashMap<>();
        props.put(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(MonitorConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(MonitorConfig.CHANGE_DETECTOR_CONFIG, "none");

        try (Monitor monitor = Monitor.start(props)) {
            KafkaTestCluster.await("the monitor to stop", TIMEOUT, () -> !monitor.liveness().alive());

            Liveness.Stopped stop = monitor.liveness().stopped().orElseThrow();
            assertThat(stop.component()).isEqualTo("monitor");
            assertThat(stop.stage()).isEqualTo("monitoring thread");
            assertThat(stop.reason()).contains("could not publish ROLLBACK command")
                .contains("to " + prefix + "commands").contains("RecordTooLargeException")
                .contains("restart the monitor");
        }

        // The examples behind the lost rollback were not committed past: a restart after the fix reads them
        // again and issues it.
        setMaxMessageBytes(cluster, prefix + "commands", 1_048_588);
        try (Monitor restarted = Monitor.start(props)) {
            List<Command> sent = cluster.consumeUntil(prefix + "commands", r -> !r.isEmpty(), TIMEOUT).stream()
                .map(r -> parse(r.value())).toList();
            assertThat(sent).singleElement().satisfies(c -> {
                assertThat(c.getType()).isEqualTo(Command.Type.ROLLBACK);
                assertThat(c.getTargetVersion()).isEqualTo(3);
            });
            assertThat(restarted.liveness().alive()).isTrue();
        }
    }

    private static Command parse(byte[] value) {
        try {
            return Command.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void closingTheMonitorReportsNoStop(KafkaTestCluster cluster) {
        cluster.createTopics(prefix + "training-examples", prefix + "predictions", prefix + "models",
            prefix + "commands");
        Map<String, Object> props = Map.of(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
            MonitorConfig.TOPICS_PREFIX_CONFIG, prefix);
        Monitor monitor = Monitor.start(props);
        examples(cluster, 1, 50, 40);
        KafkaTestCluster.await("50 examples read", TIMEOUT, () -> monitor.report().examplesSeen() == 50);

        monitor.close();

        assertThat(monitor.liveness().stopped()).isEmpty();
    }

    private static void setMaxMessageBytes(KafkaTestCluster cluster, String topic, int bytes) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Collection<AlterConfigOp> ops = List.of(new AlterConfigOp(
                new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(bytes)),
                AlterConfigOp.OpType.SET));
            admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get();
        }
    }

    private void produce(KafkaTestCluster cluster, String topic, String key, List<? extends MessageLite> values) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        cluster.produceBytes(topic, values.stream().map(v -> Map.entry(keyBytes, v.toByteArray())).toList());
    }

    private void examples(KafkaTestCluster cluster, long version, int n, int correct) {
        List<MessageLite> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clock += 5;
            out.add(example(version, i < correct, features(random, 1.0), clock, clock + 1000));
        }
        produce(cluster, prefix + "training-examples", "u-1", out);
    }
}
