package dev.freshet.monitor;

import static dev.freshet.monitor.internal.TestRecords.example;
import static dev.freshet.monitor.internal.TestRecords.features;
import static dev.freshet.monitor.internal.TestRecords.prediction;
import static dev.freshet.monitor.internal.TestRecords.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.google.protobuf.MessageLite;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedKafkaExtension.class)
class MonitorReportIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Random random = new Random(5);
    private final String prefix = KafkaTestCluster.uniquePrefix();
    private long clock = 1_764_000_000_000L;

    private Map<String, Object> props(KafkaTestCluster cluster) {
        Map<String, Object> props = new HashMap<>();
        props.put(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(MonitorConfig.TOPICS_PREFIX_CONFIG, prefix);
        return props;
    }

    private void produce(KafkaTestCluster cluster, String topic, String key, List<? extends MessageLite> values) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        cluster.produceBytes(topic, values.stream().map(v -> Map.entry(keyBytes, v.toByteArray())).toList());
    }

    /** Two versions, 300 predictions with labels for 240 of them, and an operator's RETRAIN. */
    private void history(KafkaTestCluster cluster) {
        cluster.createTopics(prefix + "training-examples", prefix + "predictions", prefix + "models",
            prefix + "commands");
        produce(cluster, prefix + "models", "default/1", List.of(version(1, 0, clock, Map.of())));
        produce(cluster, prefix + "models", "default/2", List.of(version(2, 1, clock, Map.of())));
        for (int i = 0; i < 300; i++) {
            clock += 50;
            long v = i < 150 ? 1 : 2;
            produce(cluster, prefix + "predictions", "r", List.of(prediction("r-" + i, v, clock)));
            if (i % 5 != 0) {
                produce(cluster, prefix + "training-examples", "u-1",
                    List.of(example(v, i % 3 != 0, features(random, 1.0), clock, clock + 800)));
            }
        }
        produce(cluster, prefix + "commands", "default", List.of(Command.newBuilder().setCommandId("op-1")
            .setType(Command.Type.RETRAIN).setModel("default").setTargetVersion(2).setReason("by hand")
            .putEvidence("ticket", 42).setIssuedBy("operator").setIssuedAtMs(clock).build()));
    }

    @Test
    void readOnceReportsWhatTheTopicsHoldAndCommitsNothing(KafkaTestCluster cluster) throws Exception {
        history(cluster);

        MonitorReport report = Monitor.readOnce(props(cluster), TIMEOUT);

        assertThat(report.examplesSeen()).isEqualTo(240);
        assertThat(report.labelCoverage().predictionsLogged()).isEqualTo(300);
        assertThat(report.versions()).extracting(MonitorReport.VersionStats::version).containsExactly(1L, 2L);
        assertThat(report.versions().get(0).labelCoverage()).isEqualTo(120.0 / 150);
        assertThat(report.actions()).singleElement().satisfies(a -> {
            assertThat(a.reason()).isEqualTo("by hand");
            assertThat(a.evidence()).containsEntry("ticket", 42.0);
            assertThat(a.issuedBy()).isEqualTo("operator");
        });
        assertThat(report.accuracyOverTime()).isNotEmpty();
        assertThat(report.monitoringSinceMs()).isLessThan(report.generatedAtMs());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            assertThat(admin.listConsumerGroups().all().get()).noneMatch(g -> g.groupId().startsWith(prefix));
        }
    }

    @Test
    void readOnceNamesAMissingTopic(KafkaTestCluster cluster) {
        assertThatThrownBy(() -> Monitor.readOnce(props(cluster), Duration.ofSeconds(5)))
            .isInstanceOf(KafkaException.class)
            .hasMessageContaining("Topic " + prefix + "models does not exist");
    }

    @Test
    void servesTheLiveReportOverHttp(KafkaTestCluster cluster) throws Exception {
        history(cluster);
        Map<String, Object> props = props(cluster);
        props.put(MonitorConfig.HTTP_PORT_CONFIG, 0);
        try (Monitor monitor = Monitor.start(props)) {
            assertThat(monitor.httpPort()).isPositive();
            KafkaTestCluster.await("all examples read", TIMEOUT, () -> monitor.report().examplesSeen() == 240);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://localhost:" + monitor.httpPort();

            HttpResponse<String> page = get(http, base + "/");
            HttpResponse<String> index = get(http, base + "/index.html");
            HttpResponse<String> json = get(http, base + "/report.json");
            HttpResponse<String> metrics = get(http, base + "/metrics");
            HttpResponse<String> missing = get(http, base + "/nope");

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("html"));
            assertThat(page.body()).contains("id=\"chart-accuracy\"", "http-equiv=\"refresh\"");
            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(index.body()).contains("id=\"chart-accuracy\"");
            assertThat(json.body()).contains("\"examplesSeen\" : 240");
            assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(metrics.body()).contains("# TYPE freshet_monitor_examples_total counter",
                "# TYPE freshet_monitor_version_accuracy gauge");
            assertThat(metrics.body()).contains("freshet_monitor_examples_total{model=\"default\"} 240.0",
                "freshet_monitor_version_accuracy{model=\"default\",version=\"1\"}",
                "freshet_monitor_actions_total{model=\"default\",type=\"RETRAIN\"} 1.0");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).isEqualTo("Not found: /nope. Try /, /report.json or /metrics.\n");
        }
    }

    @Test
    void liveReportIsOffByDefault(KafkaTestCluster cluster) {
        cluster.createTopics(prefix + "training-examples", prefix + "predictions", prefix + "models",
            prefix + "commands");
        try (Monitor monitor = Monitor.start(props(cluster))) {
            assertThat(monitor.httpPort()).isEqualTo(-1);
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
