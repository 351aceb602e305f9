package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A clean shutdown answers the calls already accepted and loses none of their prediction-log entries. */
@ExtendWith(EmbeddedKafkaExtension.class)
class GracefulShutdownIT {
    private static final byte[] MODEL = TestModels.trainedModelBytes(9);

    @Test
    void aCallInFlightWhenShutdownBeginsIsAnsweredAndLogged(KafkaTestCluster cluster, @TempDir Path stateDir)
            throws Exception {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.stop();
            CountDownLatch arrived = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            String name = "shutdown-" + UUID.randomUUID();
            // Holds Predict calls before the handler, so that one is in flight when close() begins.
            ServerInterceptor hold = new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                   ServerCallHandler<Q, R> next) {
                    ServerCall.Listener<Q> listener = next.startCall(call, headers);
                    if (!call.getMethodDescriptor().getBareMethodName().equals("Predict")) {
                        return listener;
                    }
                    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                        @Override
                        public void onHalfClose() {
                            arrived.countDown();
                            awaitQuietly(release);
                            super.onHalfClose();
                        }
                    };
                }
            };
            ScoringServer server = ScoringServer.start(fixture.props(),
                InProcessServerBuilder.forName(name).intercept(hold));
            ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
            try {
                fixture.publish(1, 0, MODEL);
                KafkaTestCluster.await("serving v1", ServingFixture.TIMEOUT,
                    () -> server.stats().currentModelVersion() == 1);
                CompletableFuture<PredictResponse> answer = new CompletableFuture<>();
                PredictionServiceGrpc.newStub(channel).predict(
                    ServingFixture.request("u-1").setRequestId("in-flight").build(), observer(answer));
                assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

                CompletableFuture<Void> closed = CompletableFuture.runAsync(server::close);
                KafkaTestCluster.await("new calls refused", ServingFixture.TIMEOUT, () -> refusesNewCalls(channel));
                release.countDown();

                assertThat(answer.get(10, TimeUnit.SECONDS).getModelVersion()).isEqualTo(1);
                closed.get(10, TimeUnit.SECONDS);
                assertThat(loggedRequestIds(fixture, 1)).contains("in-flight");
            } finally {
                release.countDown();
                channel.shutdownNow();
                server.close();
            }
        }
    }

    @Test
    void closeWritesTheLogEntryOfEveryPredictionAnsweredBeforeIt(KafkaTestCluster cluster, @TempDir Path stateDir)
            throws Exception {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.publish(1, 0, MODEL);
            fixture.awaitServing(1);
            PredictBatchRequest.Builder batch = PredictBatchRequest.newBuilder();
            for (int i = 0; i < 1000; i++) {
                batch.addRequests(ServingFixture.request("u-" + i).setRequestId("b-" + i));
            }
            assertThat(fixture.predictions.predictBatch(batch.build()).getResponsesCount()).isEqualTo(1000);

            fixture.stop();

            assertThat(fixture.server.stats().predictionLogFailures()).isZero();
            assertThat(loggedRequestIds(fixture, 1000)).hasSize(1000);
            fixture.start(); // so that close() has something to stop
        }
    }

    private static boolean refusesNewCalls(ManagedChannel channel) {
        try {
            PredictionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
                .predictBatch(PredictBatchRequest.getDefaultInstance());
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == Status.Code.UNAVAILABLE;
        }
    }

    private static Set<String> loggedRequestIds(ServingFixture fixture, int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
            seen -> seen.size() >= atLeast, ServingFixture.TIMEOUT);
        return records.stream().map(record -> {
            try {
                return PredictionLogEntry.parseFrom(record.value()).getRequestId();
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }).collect(Collectors.toSet());
    }

    private static StreamObserver<PredictResponse> observer(CompletableFuture<PredictResponse> answer) {
        return new StreamObserver<>() {
            @Override
            public void onNext(PredictResponse value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
