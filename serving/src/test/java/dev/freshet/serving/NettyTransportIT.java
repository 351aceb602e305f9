package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class NettyTransportIT {

    @Test
    void servesPredictHealthAndReflectionOverTcpOnAnyFreePort(KafkaTestCluster cluster, @TempDir Path stateDir)
            throws Exception {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        try (ScoringServer server = ScoringServer.start(Map.of("bootstrap.servers", cluster.bootstrapServers(),
                "topics.prefix", prefix, "serving.port", 0, "serving.state.dir", stateDir.toString()))) {
            assertThat(server.port()).isPositive();
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", server.port(),
                InsecureChannelCredentials.create()).build();
            try {
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
                assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
                    .isEqualTo(ServingStatus.NOT_SERVING);

                cluster.produceBytes(prefix + "models", List.of(Map.entry("default/1".getBytes(),
                    ModelVersion.newBuilder().setModel("default").setVersion(1)
                        .setOrigin(ModelVersion.Origin.EXTERNAL)
                        .setTribuoModel(ByteString.copyFrom(TestModels.trainedModelBytes(3)))
                        .build().toByteArray())));
                KafkaTestCluster.await("health SERVING over TCP", ServingFixture.TIMEOUT,
                    () -> health.check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING);

                PredictResponse response = PredictionServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .predict(ServingFixture.request("u-1").build());
                assertThat(response.getModelVersion()).isEqualTo(1);

                assertThat(listServices(channel)).contains("freshet.serving.v1.PredictionService",
                    "grpc.health.v1.Health");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void refusesToStartWhenATopicIsMissing(KafkaTestCluster cluster, @TempDir Path stateDir) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "models", prefix + "commands", prefix + "predictions");

        assertThatThrownBy(() -> ScoringServer.start(Map.of(
                "bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix, "serving.port", 0,
                "serving.state.dir", stateDir.toString())))
            .isInstanceOf(ServingException.class)
            .hasMessage("Topic '" + prefix + "features' does not exist; create it (the launcher does) or check "
                + "topics.prefix.");
    }

    private static List<String> listServices(ManagedChannel channel) throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(new StreamObserver<>() {
                @Override
                public void onNext(ServerReflectionResponse value) {
                    answer.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                }
            });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        return answer.get(5, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
            .map(s -> s.getName()).toList();
    }
}
