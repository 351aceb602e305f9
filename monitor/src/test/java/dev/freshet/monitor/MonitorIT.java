package dev.freshet.monitor;

import static dev.freshet.monitor.internal.TestRecords.example;
import static dev.freshet.monitor.internal.TestRecords.features;
import static dev.freshet.monitor.internal.TestRecords.prediction;
import static dev.freshet.monitor.internal.TestRecords.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.freshet.monitor.MonitorReport.Freshness;
import dev.freshet.monitor.MonitorReport.VersionStats;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedKafkaExtension.class)
class MonitorIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Random random = new Random(11);
    private final String prefix = KafkaTestCluster.uniquePrefix();
    private long clock = 1_764_000_000_000L;

    private boolean topicsCreated;

    private void createTopics(KafkaTestCluster cluster) {
        if (!topicsCreated) {
            cluster.createTopics(prefix + "training-examples", prefix + "predictions", prefix + "models",
                prefix + "commands");
            topicsCreated = true;
        }
    }

    private Monitor start(KafkaTestCluster cluster, Map<String, Object> overrides) {
        createTopics(cluster);
        Map<String, Object> props = new HashMap<>();
        props.put(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(MonitorConfig.TOPICS_PREFIX_CONFIG, prefix);
        // examples() puts a batch's wrong predictions together at its end: a burst of errors the error stream's
        // change detector rightly flags. These tests are about the rollback and feature-drift policies.
        props.put(MonitorConfig.CHANGE_DETECTOR_CONFIG, "none");
        props.putAll(overrides);
        return Monitor.start(props);
    }

    private void produce(KafkaTestCluster cluster, String topic, String key, List<? extends MessageLite> values) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        cluster.produceBytes(topic, values.stream().map(v -> Map.entry(keyBytes, v.toByteArray())).toList());
    }

    private void models(KafkaTestCluster cluster, long... versionAndParent) {
        for (int i = 0; i < versionAndParent.length; i += 2) {
            produce(cluster, prefix + "models", "default/" + versionAndParent[i],
                List.of(version(versionAndParent[i], versionAndParent[i + 1], clock, Map.of())));
        }
    }

    /** {@code n} labelled examples of {@code version}, the first {@code correct} of them right. */
    private void examples(KafkaTestCluster cluster, long version, int n, int correct, double amountScale) {
        List<MessageLite> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clock += 5;
            out.add(example(version, i < correct, features(random, amountScale), clock, clock + 1000));
        }
        produce(cluster, prefix + "training-examples", "u-1", out);
    }

    private static List<Command> commands(List<ConsumerRecord<byte[], byte[]>> records) {
        List<Command> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            try {
                out.add(Command.parseFrom(r.value()));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    private static VersionStats stats(MonitorReport report, long version) {
        return report.versions().stream().filter(v -> v.version() == version).findFirst().orElseThrow();
    }

    @Test
    void rollsBackAVersionMuchWorseThanItsParentExactlyOnce(KafkaTestCluster cluster) {
        try (Monitor monitor = start(cluster, Map.of())) {
            models(cluster, 1, 0, 2, 1, 3, 2);
            examples(cluster, 1, 200, 170, 1.0);
            examples(cluster, 2, 300, 258, 1.0);
            examples(cluster, 3, 100, 20, 1.0);
            KafkaTestCluster.await("a rollback", TIMEOUT, () -> !monitor.report().actions().isEmpty());

            examples(cluster, 3, 100, 20, 1.0);
            KafkaTestCluster.await("all 700 examples read", TIMEOUT, () -> monitor.report().examplesSeen() == 700);

            List<Command> sent = commands(cluster.consumeUntil(prefix + "commands", r -> !r.isEmpty(), TIMEOUT));
            assertThat(sent).singleElement().satisfies(c -> {
                assertThat(c.getType()).isEqualTo(Command.Type.ROLLBACK);
                assertThat(c.getTargetVersion()).isEqualTo(3);
                assertThat(c.getRestoreVersion()).isEqualTo(2);
                assertThat(c.getIssuedBy()).isEqualTo("monitor");
                assertThat(c.getCommandId()).isNotEmpty();
                assertThat(c.getReason()).startsWith("v3 accuracy 0.").contains("vs v2 0.86 over 300")
                    .endsWith("rolling back to v2");
            });
            MonitorReport report = monitor.report();
            assertThat(report.actions()).hasSize(1);
            assertThat(stats(report, 3).barred()).isTrue();
            assertThat(stats(report, 2).barred()).isFalse();
        }
    }

    @Test
    void leavesAVersionOnlySlightlyWorseThanItsParent(KafkaTestCluster cluster) {
        try (Monitor monitor = start(cluster, Map.of())) {
            models(cluster, 1, 0, 2, 1);
            examples(cluster, 1, 500, 430, 1.0);
            examples(cluster, 2, 500, 400, 1.0);

            KafkaTestCluster.await("all 1000 examples and v2's lineage read", TIMEOUT,
                () -> monitor.report().examplesSeen() == 1000 && stats(monitor.report(), 2).parentVersion() == 1);

            MonitorReport report = monitor.report();
            assertThat(report.actions()).isEmpty();
            assertThat(stats(report, 2).accuracy()).isEqualTo(0.8);
            assertThat(stats(report, 2).barred()).isFalse();
        }
    }

    @Test
    void issuesRetrainWhenAFeatureDistributionShifts(KafkaTestCluster cluster) {
        Map<String, Object> small = Map.of(MonitorConfig.DRIFT_REFERENCE_EXAMPLES_CONFIG, 200,
            MonitorConfig.DRIFT_WINDOW_EXAMPLES_CONFIG, 200, MonitorConfig.DRIFT_CHECK_EVERY_EXAMPLES_CONFIG, 50);
        try (Monitor monitor = start(cluster, small)) {
            examples(cluster, 1, 400, 340, 1.0);
            examples(cluster, 1, 300, 150, 4.0);

            List<Command> sent = commands(cluster.consumeUntil(prefix + "commands", r -> !r.isEmpty(), TIMEOUT));

            assertThat(sent).singleElement().satisfies(c -> {
                assertThat(c.getType()).isEqualTo(Command.Type.RETRAIN);
                assertThat(c.getReason()).startsWith("feature 'amount' drifted: PSI");
                assertThat(c.getEvidenceMap()).containsKey("psi.amount");
            });
            assertThat(monitor.report().driftEvents()).singleElement().satisfies(e -> {
                assertThat(e.feature()).isEqualTo("amount");
                assertThat(e.reference().firstExample()).isEqualTo(1);
                assertThat(e.reference().lastExample()).isEqualTo(200);
                assertThat(e.current().examples()).isEqualTo(200);
            });
        }
    }

    @Test
    void comparesEveryWindowWithAPinnedBaselineThatARetrainDoesNotReplace(KafkaTestCluster cluster) {
        createTopics(cluster);
        long from = clock + 1;
        examples(cluster, 1, 300, 255, 1.0);
        long to = clock + 1;
        String pinned = Instant.ofEpochMilli(from) + "/" + Instant.ofEpochMilli(to);
        Map<String, Object> settings = Map.of(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG, pinned,
            MonitorConfig.DRIFT_WINDOW_EXAMPLES_CONFIG, 200, MonitorConfig.DRIFT_CHECK_EVERY_EXAMPLES_CONFIG, 50,
            MonitorConfig.RETRAIN_COOLDOWN_MS_CONFIG, 0L);
        try (Monitor monitor = start(cluster, settings)) {
            examples(cluster, 1, 900, 450, 4.0);

            KafkaTestCluster.await("two drift events on amount", TIMEOUT, () -> monitor.report().driftEvents().stream()
                .filter(e -> e.feature().equals("amount")).count() >= 2);
            assertThat(monitor.report().driftEvents()).filteredOn(e -> e.feature().equals("amount"))
                .allSatisfy(e -> {
                    assertThat(e.reference().examples()).isEqualTo(300);
                    assertThat(e.reference().fromPredictedAtMs()).isGreaterThanOrEqualTo(from);
                    assertThat(e.reference().toPredictedAtMs()).isLessThan(to);
                });
        }
    }

    @Test
    void refusesAPinnedBaselineWithTooFewExamples(KafkaTestCluster cluster) {
        assertThatThrownBy(() -> start(cluster,
                Map.of(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG, "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG)
            .hasMessageContaining("only 0 training examples of model 'default'");
    }

    @Test
    void raisesNoDriftOnAStationaryStream(KafkaTestCluster cluster) {
        Map<String, Object> small = Map.of(MonitorConfig.DRIFT_REFERENCE_EXAMPLES_CONFIG, 200,
            MonitorConfig.DRIFT_WINDOW_EXAMPLES_CONFIG, 200, MonitorConfig.DRIFT_CHECK_EVERY_EXAMPLES_CONFIG, 50);
        try (Monitor monitor = start(cluster, small)) {
            examples(cluster, 1, 2000, 1700, 1.0);

            KafkaTestCluster.await("all 2000 examples read", TIMEOUT, () -> monitor.report().examplesSeen() == 2000);

            assertThat(monitor.report().driftEvents()).isEmpty();
            assertThat(monitor.report().actions()).isEmpty();
            assertThat(monitor.report().driftFeatures()).containsExactly("amount", "velocity");
        }
    }

    @Test
    void reportsExactFreshnessAccuracyAndCoverageFromTheTopics(KafkaTestCluster cluster) {
        try (Monitor monitor = start(cluster, Map.of())) {
            // Labels of offsets 0-4 arrive at 1000-1400; v1 learned offsets 0-1 and first served at 1600,
            // v2 learned 2-3 and first served at 2500; v3 learned offset 4 but never served.
            List<MessageLite> labelled = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                labelled.add(example(i < 2 ? 1 : 2, i != 1, Map.of("amount", (double) i), 900 + i, 1000 + 100 * i));
            }
            produce(cluster, prefix + "training-examples", "u-1", labelled);
            produce(cluster, prefix + "models", "default/1", List.of(version(1, 0, 1500, Map.of(0, 2L))));
            produce(cluster, prefix + "models", "default/2", List.of(version(2, 1, 2400, Map.of(0, 4L))));
            produce(cluster, prefix + "models", "default/3", List.of(version(3, 2, 3000, Map.of(0, 5L))));
            produce(cluster, prefix + "predictions", "r", List.of(prediction("a", 1, 1700), prediction("b", 1, 1600),
                prediction("c", 2, 2500), prediction("d", 2, 2600), prediction("e", 2, 2700)));

            KafkaTestCluster.await("all records read and freshness of 4 examples settled", TIMEOUT, () -> {
                MonitorReport r = monitor.report();
                return r.freshness().count() == 4 && r.versions().size() == 3
                    && r.labelCoverage().predictionsLogged() == 5 && r.examplesSeen() == 5;
            });

            MonitorReport report = monitor.report();
            assertThat(report.freshness()).isEqualTo(new Freshness(4, 1, 600L, 1300L, 1300L));
            assertThat(stats(report, 1)).satisfies(v -> {
                assertThat(v.labelledPredictions()).isEqualTo(2);
                assertThat(v.correct()).isEqualTo(1);
                assertThat(v.accuracy()).isEqualTo(0.5);
                assertThat(v.firstServedAtMs()).isEqualTo(1600L);
                assertThat(v.publishedAtMs()).isEqualTo(1500L);
            });
            assertThat(stats(report, 2).accuracy()).isEqualTo(1.0);
            assertThat(stats(report, 3).firstServedAtMs()).isNull();
            assertThat(report.labelCoverage()).isEqualTo(new MonitorReport.LabelCoverage(5, 5, 1.0));
        }
    }
}
