package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.proto.serving.v1.PredictBatchResponse;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** PredictBatch, PredictStream and request validation, against one server with one model. */
@ExtendWith(EmbeddedKafkaExtension.class)
class PredictBatchAndStreamIT {
    private static final int BATCH_MAX = 2000;

    @TempDir
    static Path stateDir;
    private static ServingFixture fixture;

    @BeforeAll
    static void startServer(KafkaTestCluster cluster) {
        fixture = new ServingFixture(cluster, stateDir, Map.of("serving.batch.max.size", BATCH_MAX));
        fixture.publish(1, 0, TestModels.trainedModelBytes(1));
        fixture.awaitServing(1);
    }

    @AfterAll
    static void stopServer() {
        fixture.close();
    }

    @Test
    void predictBatchAnswersEveryRequestInOrderAndLogsEach() {
        PredictBatchRequest batch = PredictBatchRequest.newBuilder()
            .addRequests(ServingFixture.request("u-1").setRequestId("batch-a"))
            .addRequests(ServingFixture.request("u-2").setRequestId("batch-b").setIncludeFeatures(true))
            .addRequests(ServingFixture.request("u-3").setRequestId("batch-c"))
            .build();

        PredictBatchResponse answer = fixture.predictions.predictBatch(batch);

        assertThat(answer.getResponsesList()).extracting(PredictResponse::getRequestId)
            .containsExactly("batch-a", "batch-b", "batch-c");
        assertThat(answer.getResponsesList()).allSatisfy(r -> {
            assertThat(r.getModelVersion()).isEqualTo(1);
            assertThat(r.getClassProbabilitiesMap()).containsOnlyKeys("0", "1");
        });
        assertThat(answer.getResponses(1).getFeaturesMap()).containsEntry("amount", 0.8);
        assertThat(answer.getResponses(0).getFeaturesMap()).isEmpty();
        assertThat(loggedRequestIds(Set.of("batch-a", "batch-b", "batch-c"))).contains("batch-a", "batch-b", "batch-c");
    }

    @Test
    void predictBatchLargerThanTheMaximumIsInvalidArgumentNamingTheLimit() {
        PredictBatchRequest.Builder batch = PredictBatchRequest.newBuilder();
        IntStream.range(0, BATCH_MAX + 1).forEach(i -> batch.addRequests(ServingFixture.request("u-" + i)));

        assertThatThrownBy(() -> fixture.predictions.predictBatch(batch.build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).isEqualTo("the batch holds 2001 requests, more than the "
                    + "2000 this server accepts (serving.batch.max.size); split it into smaller batches.");
            });
    }

    @Test
    void predictBatchWithOneInvalidRequestNamesItsIndexAndLogsNothing() {
        PredictBatchRequest batch = PredictBatchRequest.newBuilder()
            .addRequests(ServingFixture.request("u-1").setRequestId("refused-a"))
            .addRequests(ServingFixture.request("").setRequestId("refused-b"))
            .build();

        assertThatThrownBy(() -> fixture.predictions.predictBatch(batch))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).startsWith("requests[1]: entity_id is required");
            });
        fixture.predictions.predict(ServingFixture.request("u-1").setRequestId("after-refused").build());
        assertThat(loggedRequestIds(Set.of("after-refused"))).doesNotContain("refused-a", "refused-b");
    }

    @Test
    void predictBatchPastItsDeadlineEndsDeadlineExceededAndStopsScoring() {
        PredictBatchRequest.Builder batch = PredictBatchRequest.newBuilder();
        IntStream.range(0, BATCH_MAX).forEach(i -> batch.addRequests(ServingFixture.request("u-" + i)));
        long scoredBefore = fixture.server.stats().entitiesScored();
        long expiredBefore = fixture.server.stats().failures(Status.Code.DEADLINE_EXCEEDED);

        assertThatThrownBy(() -> fixture.predictions.withDeadlineAfter(5, TimeUnit.MILLISECONDS)
                .predictBatch(batch.build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

        KafkaTestCluster.await("the server to see the deadline pass", ServingFixture.TIMEOUT,
            () -> fixture.server.stats().failures(Status.Code.DEADLINE_EXCEEDED) > expiredBefore);
        assertThat(fixture.server.stats().entitiesScored() - scoredBefore).isLessThan(BATCH_MAX);
    }

    @Test
    void predictStreamAnswersEachRequestInOrder() throws Exception {
        List<PredictResponse> answers = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<PredictRequest> requests = PredictionServiceGrpc.newStub(fixture.channel)
            .predictStream(collect(answers, done));
        for (int i = 0; i < 20; i++) {
            requests.onNext(ServingFixture.request("u-" + i).setRequestId("s-" + i).build());
        }
        requests.onCompleted();

        done.get(10, TimeUnit.SECONDS);
        assertThat(answers).extracting(PredictResponse::getRequestId)
            .containsExactlyElementsOf(IntStream.range(0, 20).mapToObj(i -> "s-" + i).toList());
        assertThat(answers).allSatisfy(r -> assertThat(r.getModelVersion()).isEqualTo(1));
    }

    @Test
    void predictStreamScoresOnlyAFewMessagesAheadOfWhatTheCallerReads() throws Exception {
        int sent = 2000;
        List<PredictResponse> answers = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<ClientCallStreamObserver<PredictRequest>> call = new CompletableFuture<>();
        StreamObserver<PredictRequest> requests = PredictionServiceGrpc.newStub(fixture.channel).predictStream(
            collect(answers, done, stream -> {
                stream.disableAutoRequestWithInitial(0); // read nothing until told to
                call.complete(stream);
            }));
        long scoredBefore = fixture.server.stats().entitiesScored();
        for (int i = 0; i < sent; i++) {
            requests.onNext(ServingFixture.request("u-" + i % 50).setRequestId("held-" + i).build());
        }
        requests.onCompleted();

        Thread.sleep(1000);
        long scoredWhileUnread = fixture.server.stats().entitiesScored() - scoredBefore;
        call.get(10, TimeUnit.SECONDS).request(sent);
        done.get(30, TimeUnit.SECONDS);

        assertThat(scoredWhileUnread).isBetween(1L, 16L);
        assertThat(answers).extracting(PredictResponse::getRequestId)
            .containsExactlyElementsOf(IntStream.range(0, sent).mapToObj(i -> "held-" + i).toList());
    }

    @Test
    void predictStreamEndsWithInvalidArgumentNamingTheBadMessage() {
        List<PredictResponse> answers = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<PredictRequest> requests = PredictionServiceGrpc.newStub(fixture.channel)
            .predictStream(collect(answers, done));
        requests.onNext(ServingFixture.request("u-1").setRequestId("ok-0").build());
        requests.onNext(ServingFixture.request(" ").setRequestId("bad-1").build());

        assertThatThrownBy(() -> done.get(10, TimeUnit.SECONDS))
            .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription())
                    .startsWith("message 1 (request_id 'bad-1'): entity_id is required");
            });
        assertThat(answers).extracting(PredictResponse::getRequestId).containsExactly("ok-0");
    }

    @Test
    void classProbabilitiesCanBeLeftOut() {
        PredictResponse response = fixture.predictions.predict(
            ServingFixture.request("u-1").setOmitClassProbabilities(true).build());

        assertThat(response.getClassProbabilitiesMap()).isEmpty();
        assertThat(response.getLabel()).isIn("0", "1");
    }

    @Test
    void aKnownFieldOfTheWrongTypeIsInvalidArgumentNamingTheFieldAndItsType() {
        // entity_id (field 2) sent as a varint instead of a string
        StatusRuntimeException e = callWithRawBytes(new byte[] {0x10, 0x05});

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription())
            .isEqualTo("field 'entity_id' (number 2) has the wrong type; send it as a string.");
    }

    @Test
    void anUnknownFieldIsInvalidArgumentListingTheAcceptedFields() {
        // entity_id "u" plus field 99 = 1, which PredictRequest does not define
        StatusRuntimeException e = callWithRawBytes(new byte[] {0x12, 0x01, 'u', (byte) 0x98, 0x06, 0x01});

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).startsWith(
            "unknown field number 99 in freshet.serving.v1.PredictRequest; this server accepts request_id = 1, "
                + "entity_id = 2");
    }

    @Test
    void bytesThatAreNotAMessageAreInvalidArgument() {
        // a string field whose declared length runs past the end of the message
        StatusRuntimeException e = callWithRawBytes(new byte[] {0x12, 0x05, 'u'});

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).startsWith("the request is not a valid protobuf message for "
            + "freshet.serving.v1.PredictionService/Predict");
    }

    private static StatusRuntimeException callWithRawBytes(byte[] request) {
        MethodDescriptor<byte[], byte[]> predict = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(PredictionServiceGrpc.getPredictMethod().getFullMethodName())
            .setRequestMarshaller(new RawBytes()).setResponseMarshaller(new RawBytes()).build();
        try {
            ClientCalls.blockingUnaryCall(fixture.channel, predict, CallOptions.DEFAULT, request);
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }

    private static StreamObserver<PredictResponse> collect(List<PredictResponse> answers,
                                                           CompletableFuture<Void> done) {
        return collect(answers, done, stream -> { });
    }

    private static ClientResponseObserver<PredictRequest, PredictResponse> collect(
            List<PredictResponse> answers, CompletableFuture<Void> done,
            Consumer<ClientCallStreamObserver<PredictRequest>> beforeStart) {
        return new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<PredictRequest> stream) {
                beforeStart.accept(stream);
            }

            @Override
            public void onNext(PredictResponse value) {
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
        };
    }

    /** Request ids in the prediction log, read until every one of {@code expected} is there. */
    private static Set<String> loggedRequestIds(Set<String> expected) {
        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
            seen -> seen.stream().map(PredictBatchAndStreamIT::requestId).collect(Collectors.toSet())
                .containsAll(expected), ServingFixture.TIMEOUT);
        return records.stream().map(PredictBatchAndStreamIT::requestId).collect(Collectors.toSet());
    }

    private static String requestId(ConsumerRecord<byte[], byte[]> record) {
        try {
            return PredictionLogEntry.parseFrom(record.value()).getRequestId();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
