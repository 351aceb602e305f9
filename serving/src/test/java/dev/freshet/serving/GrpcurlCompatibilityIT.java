package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import dev.freshet.proto.registry.v1.ModelVersion;
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
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What grpcurl asks a server, over TCP: the service list and the descriptors of a symbol by reflection (grpcurl
 * tries v1 and falls back to v1alpha), and health by service name.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class GrpcurlCompatibilityIT {
    private static ScoringServer server;
    private static ManagedChannel channel;

    @BeforeAll
    static void startServer(KafkaTestCluster cluster) throws Exception {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        server = ScoringServer.start(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix,
            "serving.port", 0, "serving.state.dir", Files.createTempDirectory("freshet-grpcurl-").toString()));
        channel = Grpc.newChannelBuilderForAddress("localhost", server.port(), InsecureChannelCredentials.create())
            .build();
        cluster.produceBytes(prefix + "models", List.of(Map.entry("default/1".getBytes(), ModelVersion.newBuilder()
            .setModel("default").setVersion(1).setOrigin(ModelVersion.Origin.EXTERNAL)
            .setTribuoModel(ByteString.copyFrom(TestModels.trainedModelBytes(6))).build().toByteArray())));
        KafkaTestCluster.await("health SERVING", ServingFixture.TIMEOUT, () -> health("") == ServingStatus.SERVING);
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void healthAnswersForTheServerAndForThePredictionServiceByName() {
        assertThat(health("freshet.serving.v1.PredictionService")).isEqualTo(ServingStatus.SERVING);
        assertThatThrownBy(() -> health("no.such.Service"))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void v1ReflectionDescribesPredictionServiceWithItsThreeMethods() throws Exception {
        io.grpc.reflection.v1.ServerReflectionResponse answer = ask(v1Stub -> v1Stub,
            io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("freshet.serving.v1.PredictionService").build());

        assertThat(methodsOf(answer.getFileDescriptorResponse().getFileDescriptorProtoList(),
            "PredictionService")).containsExactly("Predict", "PredictBatch", "PredictStream");
    }

    @Test
    @SuppressWarnings("deprecation")
    void v1alphaReflectionListsEveryServiceAndDescribesTheAdminService() throws Exception {
        List<io.grpc.reflection.v1alpha.ServerReflectionResponse> answers = askV1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build(),
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("freshet.serving.v1.AdminService").build());

        assertThat(answers.get(0).getListServicesResponse().getServiceList())
            .extracting(io.grpc.reflection.v1alpha.ServiceResponse::getName)
            .contains("freshet.serving.v1.PredictionService", "freshet.serving.v1.AdminService",
                "grpc.health.v1.Health");
        assertThat(methodsOf(answers.get(1).getFileDescriptorResponse().getFileDescriptorProtoList(),
            "AdminService")).contains("Status", "Pin", "Unpin", "Rollback", "Promote");
    }

    private static ServingStatus health(String service) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private static List<String> methodsOf(List<ByteString> files, String service) throws Exception {
        List<String> methods = new ArrayList<>();
        for (ByteString bytes : files) {
            for (ServiceDescriptorProto described : FileDescriptorProto.parseFrom(bytes).getServiceList()) {
                if (described.getName().equals(service)) {
                    described.getMethodList().stream().map(MethodDescriptorProto::getName).forEach(methods::add);
                }
            }
        }
        return methods;
    }

    private static io.grpc.reflection.v1.ServerReflectionResponse ask(
            java.util.function.UnaryOperator<io.grpc.reflection.v1.ServerReflectionGrpc.ServerReflectionStub> stub,
            io.grpc.reflection.v1.ServerReflectionRequest request) throws Exception {
        CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> requests =
            stub.apply(io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)).serverReflectionInfo(
                new StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
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
        requests.onNext(request);
        requests.onCompleted();
        return answer.get(5, TimeUnit.SECONDS);
    }

    @SuppressWarnings("deprecation")
    private static List<io.grpc.reflection.v1alpha.ServerReflectionResponse> askV1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest... requests) throws Exception {
        List<io.grpc.reflection.v1alpha.ServerReflectionResponse> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> out =
            io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
                new StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        for (io.grpc.reflection.v1alpha.ServerReflectionRequest request : requests) {
            out.onNext(request);
        }
        out.onCompleted();
        done.get(5, TimeUnit.SECONDS);
        return answers;
    }
}
