package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.GetOnlineFeaturesRequest;
import dev.freshet.proto.features.v1.GetOnlineFeaturesResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gRPC server kit on an in-process transport: health, shutdown order, reflection, status mapping. */
class GrpcServerTest {
    private static final long WAIT_S = 10;

    private final String name = "kit-" + UUID.randomUUID();
    private final KitTestService service = new KitTestService();
    private final ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    private final BlockingQueue<String> ended = new LinkedBlockingQueue<>();
    private GrpcServer server;

    @AfterEach
    void close() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private GrpcServer.Builder builder() {
        StatusMapping mapping = StatusMapping.of(e -> e instanceof IllegalArgumentException
                ? Status.INVALID_ARGUMENT.withDescription(e.getMessage()) : null,
            "the test server failed on this call; see its log").observedBy((method, code) -> ended.add(method + " "
                + code));
        return GrpcServer.on("test server", InProcessServerBuilder.forName(name), GrpcTls.plaintext())
            .addService(service, mapping);
    }

    private FeatureStoreServiceGrpc.FeatureStoreServiceBlockingStub stub() {
        return FeatureStoreServiceGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT_S, TimeUnit.SECONDS);
    }

    @Test
    void healthIsNotServingUntilTheComponentIsReadyForTheServerAndEachService() throws Exception {
        server = builder().start();
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);

        assertThat(status(health, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(status(health, FeatureStoreServiceGrpc.SERVICE_NAME)).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(server.serving()).isFalse();

        server.markServing();

        assertThat(status(health, "")).isEqualTo(ServingStatus.SERVING);
        assertThat(status(health, FeatureStoreServiceGrpc.SERVICE_NAME)).isEqualTo(ServingStatus.SERVING);
        assertThat(server.serving()).isTrue();
    }

    @Test
    void shutdownTurnsNotServingRefusesNewCallsRunsTheHookThenCancelsCallsPastTheGrace() throws Exception {
        BlockingQueue<ServingStatus> watched = new LinkedBlockingQueue<>();
        CompletableFuture<Status.Code> newCallDuringHook = new CompletableFuture<>();
        CompletableFuture<Boolean> notServingBeforeHook = new CompletableFuture<>();
        server = builder().grace(Duration.ofMillis(200), "test.grace.ms").onShutdown(() -> {
            try {
                notServingBeforeHook.complete(watched.poll(WAIT_S, TimeUnit.SECONDS) == ServingStatus.NOT_SERVING);
                stub().describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName("v").build());
                newCallDuringHook.complete(Status.Code.OK);
            } catch (StatusRuntimeException e) {
                newCallDuringHook.complete(e.getStatus().getCode());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).start();
        server.markServing();
        watch(watched);
        assertThat(watched.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);
        CompletableFuture<Status.Code> inFlight = new CompletableFuture<>();
        FeatureStoreServiceGrpc.newStub(channel).getOnlineFeatures(GetOnlineFeaturesRequest.getDefaultInstance(),
            new StreamObserver<>() {
                @Override
                public void onNext(GetOnlineFeaturesResponse value) {
                }

                @Override
                public void onError(Throwable t) {
                    inFlight.complete(Status.fromThrowable(t).getCode());
                }

                @Override
                public void onCompleted() {
                    inFlight.complete(Status.Code.OK);
                }
            });
        assertThat(service.inFlight.await(WAIT_S, TimeUnit.SECONDS)).isTrue();

        server.close();

        assertThat(notServingBeforeHook.get(WAIT_S, TimeUnit.SECONDS)).as("NOT_SERVING reached watchers").isTrue();
        assertThat(newCallDuringHook.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(service.inFlightCancelled.await(WAIT_S, TimeUnit.SECONDS)).as("the call past the grace period")
            .isTrue();
        assertThat(inFlight.get(WAIT_S, TimeUnit.SECONDS)).isNotEqualTo(Status.Code.OK);
        assertThat(server.serving()).isFalse();
    }

    @Test
    void aStoppedStageTurnsHealthNotServingForGoodWhileCallsAreStillAnswered() throws Exception {
        Liveness liveness = new Liveness("test-component");
        server = builder().liveness(liveness).start();
        server.markServing();
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);

        liveness.stopped("the view application 'clicks'", "it hit an unexpected error");
        server.markServing();

        assertThat(status(health, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(status(health, FeatureStoreServiceGrpc.SERVICE_NAME)).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(server.serving()).isFalse();
        assertThat(stub().describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName("clicks").build())
            .getFeaturesList()).containsExactly("anonymous");
    }

    @Test
    void markServingAfterShutdownBeganStaysNotServing() throws Exception {
        server = builder().start();
        server.close();

        server.markServing();

        assertThat(server.serving()).isFalse();
    }

    @Test
    void reflectionV1AndV1alphaBothListEveryService() throws Exception {
        server = builder().start();

        List<String> v1 = listServices(io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
            ::serverReflectionInfo, io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("")
            .build(), r -> r.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList());
        List<String> v1alpha = listServices(io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            ::serverReflectionInfo, io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
            .setListServices("").build(),
            r -> r.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList());

        assertThat(v1).contains(FeatureStoreServiceGrpc.SERVICE_NAME, HealthGrpc.SERVICE_NAME,
            "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");
        assertThat(v1alpha).containsExactlyInAnyOrderElementsOf(v1);
    }

    @Test
    void theComponentsExceptionsBecomeTheStatusItChose() throws Exception {
        server = builder().start();

        assertThat(refusal("invalid")).isEqualTo("INVALID_ARGUMENT: the name 'invalid' is refused; send another");
        assertThat(nextEnded()).isEqualTo("DescribeFeatureView INVALID_ARGUMENT");
    }

    @Test
    void aStatusExceptionKeepsItsStatus() throws Exception {
        server = builder().start();

        assertThat(refusal("missing")).isEqualTo("NOT_FOUND: no view 'missing'");
    }

    @Test
    void anUnexpectedExceptionIsInternalWithoutItsDetails() throws Exception {
        server = builder().start();

        assertThat(refusal("bug")).isEqualTo("INTERNAL: the test server failed on this call; see its log");
        assertThat(nextEnded()).isEqualTo("DescribeFeatureView INTERNAL");
    }

    @Test
    void answeredAndExpiredCallsAreObservedToo() throws Exception {
        server = builder().start();

        stub().describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName("v").build());
        assertThatThrownBy(() -> FeatureStoreServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(50, TimeUnit.MILLISECONDS).getOnlineFeatures(GetOnlineFeaturesRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

        assertThat(nextEnded()).isEqualTo("DescribeFeatureView OK");
        assertThat(nextEnded()).isEqualTo("GetOnlineFeatures DEADLINE_EXCEEDED");
    }

    private String nextEnded() throws InterruptedException {
        return ended.poll(WAIT_S, TimeUnit.SECONDS);
    }

    private String refusal(String viewName) {
        try {
            stub().describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName(viewName).build());
            return "OK";
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() + ": " + e.getStatus().getDescription();
        }
    }

    private static ServingStatus status(HealthGrpc.HealthBlockingStub health, String service) {
        return health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private void watch(BlockingQueue<ServingStatus> statuses) {
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse response) {
                statuses.add(response.getStatus());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
    }

    static <Q, R> List<String> listServices(Function<StreamObserver<R>, StreamObserver<Q>> open, Q request,
                                            Function<R, List<String>> names) throws Exception {
        CompletableFuture<R> answer = new CompletableFuture<>();
        StreamObserver<Q> requests = open.apply(new StreamObserver<>() {
            @Override
            public void onNext(R value) {
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
        return names.apply(answer.get(WAIT_S, TimeUnit.SECONDS));
    }
}
