package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A (re)starting server binds its port before it connects to Kafka: load balancers read NOT_SERVING from its health
 * endpoint instead of getting connection refused, and a port in use still fails the start naming serving.port.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class StartupIT {

    @Test
    void withTopicsButNoModelThePortAnswersNotServingAtOnceThenServingOnceAModelIsPublished(
            KafkaTestCluster cluster, @TempDir Path stateDir) throws Exception {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        try (ScoringServer server = ScoringServer.start(props(cluster, prefix, stateDir, 0));
             Channel channel = new Channel(server.port())) {
            assertThat(channel.health()).isEqualTo(ServingStatus.NOT_SERVING);
            assertThat(channel.predictStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);

            cluster.produceBytes(prefix + "models", List.of(Map.entry("default/1".getBytes(),
                ModelVersion.newBuilder().setModel("default").setVersion(1).setOrigin(ModelVersion.Origin.EXTERNAL)
                    .setTribuoModel(ByteString.copyFrom(TestModels.trainedModelBytes(3))).build().toByteArray())));

            KafkaTestCluster.await("health SERVING once v1 is published", ServingFixture.TIMEOUT,
                () -> channel.health() == ServingStatus.SERVING);
        }
    }

    @Test
    void whileKafkaPartsAreStillOpeningThePortAnswersNotServingAndPredictUnavailable(
            KafkaTestCluster cluster, @TempDir Path stateDir) throws Exception {
        String prefix = KafkaTestCluster.uniquePrefix();
        // Without the predictions topic the prediction log waits for it (about ten seconds), then the start fails:
        // a window in which only a server that bound its port first can answer.
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands");
        int port = freePort();
        CompletableFuture<ScoringServer> starting = CompletableFuture.supplyAsync(
            () -> ScoringServer.start(props(cluster, prefix, stateDir, port)));

        try (Channel channel = new Channel(port)) {
            KafkaTestCluster.await("the port to answer health checks while Kafka parts open", ServingFixture.TIMEOUT,
                () -> channel.healthOrNull() == ServingStatus.NOT_SERVING);
            Status predict = channel.predictStatus();
            assertThat(predict.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(predict.getDescription()).contains("this serving instance is still starting");
        }
        assertThatThrownBy(() -> starting.get(60, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).cause()
            .isInstanceOf(ServingException.class)
            .hasMessageContaining("Topic '" + prefix + "predictions' does not exist");
    }

    @Test
    void aPortInUseFailsTheStartNamingServingPort(KafkaTestCluster cluster, @TempDir Path stateDir)
            throws IOException {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        try (ServerSocket taken = new ServerSocket(0)) {
            assertThatThrownBy(() -> ScoringServer.start(props(cluster, prefix, stateDir, taken.getLocalPort())))
                .isInstanceOf(ServingException.class)
                .hasMessageStartingWith("Could not listen on 127.0.0.1:" + taken.getLocalPort())
                .hasMessageContaining("choose another serving.port");
        }
    }

    private static Map<String, Object> props(KafkaTestCluster cluster, String prefix, Path stateDir, int port) {
        return Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix, "serving.port", port,
            "serving.state.dir", stateDir.toString(), "serving.shutdown.grace.ms", 1000L);
    }

    // A port free a moment ago, so that the test knows it before start() returns.
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static final class Channel implements AutoCloseable {
        private final ManagedChannel channel;

        Channel(int port) {
            channel = Grpc.newChannelBuilderForAddress("localhost", port, InsecureChannelCredentials.create()).build();
        }

        ServingStatus health() {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        }

        // Null while nothing listens on the port yet.
        ServingStatus healthOrNull() {
            try {
                return health();
            } catch (StatusRuntimeException e) {
                return null;
            }
        }

        Status predictStatus() {
            try {
                PredictionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .predict(ServingFixture.request("u-1").build());
            } catch (StatusRuntimeException e) {
                return e.getStatus();
            }
            throw new AssertionError("Predict succeeded");
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }
}
