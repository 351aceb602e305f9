package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.freshet.contracts.Liveness;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stage that stops for good turns health NOT_SERVING for good and is kept in {@link ScoringServer#liveness()};
 * closing the server on purpose reports no stop.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class SupervisionIT {

    @Test
    void deletingTheModelsTopicUnderARunningServerStopsTheModelWatcherAndHealthTurnsNotServing(
            KafkaTestCluster cluster, @TempDir Path stateDir) throws Exception {
        try (ServingFixture fixture = servingFixture(cluster, stateDir)) {
            deleteTopic(cluster, fixture.prefix + "models");

            Liveness.Stopped stop = awaitStop(fixture);
            assertThat(stop.stage()).isEqualTo("model watcher");
            assertThat(stop.reason()).contains("topic '" + fixture.prefix + "models' was deleted");
        }
    }

    @Test
    void deletingTheFeaturesTopicUnderARunningServerStopsTheFeatureReplicaAndHealthTurnsNotServing(
            KafkaTestCluster cluster, @TempDir Path stateDir) throws Exception {
        try (ServingFixture fixture = servingFixture(cluster, stateDir)) {
            deleteTopic(cluster, fixture.prefix + "features");

            Liveness.Stopped stop = awaitStop(fixture);
            assertThat(stop.stage()).isEqualTo("feature replica");
            assertThat(stop.reason()).contains("topic '" + fixture.prefix + "features' was deleted");
        }
    }

    @Test
    void closingTheServerOnPurposeReportsNoStop(KafkaTestCluster cluster, @TempDir Path stateDir) {
        ServingFixture fixture = servingFixture(cluster, stateDir);
        ScoringServer server = fixture.server;

        fixture.close();

        assertThat(server.liveness().stopped()).isEmpty();
    }

    private static ServingFixture servingFixture(KafkaTestCluster cluster, Path stateDir) {
        ServingFixture fixture = new ServingFixture(cluster, stateDir);
        fixture.publish(1, 0, TestModels.trainedModelBytes(1));
        KafkaTestCluster.await("health SERVING", ServingFixture.TIMEOUT,
            () -> fixture.healthStatus() == ServingStatus.SERVING);
        return fixture;
    }

    private static Liveness.Stopped awaitStop(ServingFixture fixture) {
        KafkaTestCluster.await("health NOT_SERVING after the stage stopped", ServingFixture.TIMEOUT,
            () -> fixture.healthStatus() == ServingStatus.NOT_SERVING);
        assertThat(fixture.server.liveness().alive()).isFalse();
        return fixture.server.liveness().stopped().orElseThrow();
    }

    private static void deleteTopic(KafkaTestCluster cluster, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        }
    }
}
