package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class ScoringServerIT {
    private static byte[] model;

    @TempDir
    Path stateDir;
    private ServingFixture fixture;

    @BeforeAll
    static void trainModel() {
        model = TestModels.trainedModelBytes(1);
    }

    @BeforeEach
    void startServer(KafkaTestCluster cluster) {
        fixture = new ServingFixture(cluster, stateDir);
    }

    @AfterEach
    void stopServer() {
        fixture.close();
    }

    @Test
    void predictMergesStoredFeaturesWithRequestFieldsAndNamesTheVersion() {
        fixture.putFeatures("u-1", Map.of("amount", 0.1, "amount_avg_1h", 0.4, "velocity", 0.3));
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);
        KafkaTestCluster.await("features replicated", ServingFixture.TIMEOUT,
            () -> fixture.server.stats().featureVectorsReplicated() >= 1);

        PredictResponse response = fixture.predictions.predict(
            ServingFixture.request("u-1").setRequestId("e-42").setIncludeFeatures(true).build());

        assertThat(response.getFeaturesMap()).isEqualTo(Map.of(
            "amount", 0.8, "amount_avg_1h", 0.4, "velocity", 0.3, "channel=web", 1.0, "is_new_device", 1.0));
        assertThat(response.getEntityKnown()).isTrue();
        assertThat(response.getRequestId()).isEqualTo("e-42");
        assertThat(response.getModel()).isEqualTo("default");
        assertThat(response.getModelVersion()).isEqualTo(1);
        assertThat(response.getClassProbabilitiesMap()).containsOnlyKeys("0", "1");
        assertThat(response.getClassProbabilitiesMap().values().stream().mapToDouble(Double::doubleValue).sum())
            .isCloseTo(1.0, within(1e-6));
        assertThat(response.getScore()).isEqualTo(response.getClassProbabilitiesMap().get(response.getLabel()));
    }

    @Test
    void predictForUnknownEntityStillScoresAndSaysTheEntityIsUnknown() {
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);

        PredictResponse response = fixture.predictions.predict(ServingFixture.request("nobody").build());

        assertThat(response.getEntityKnown()).isFalse();
        assertThat(response.getLabel()).isIn("0", "1");
        assertThat(response.getModelVersion()).isEqualTo(1);
        assertThat(response.getRequestId()).as("generated request id").isNotBlank();
        assertThat(response.getFeaturesMap()).as("features only when asked").isEmpty();
    }

    @Test
    void predictWithoutEntityIdIsInvalidArgumentSayingWhatToFix() {
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);

        assertThatThrownBy(() -> fixture.predictions.predict(ServingFixture.request("").build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("entity_id is required")
                    .doesNotContain("Exception", "\tat ", "/");
            });
        assertThat(fixture.server.stats().failures(Status.Code.INVALID_ARGUMENT)).isEqualTo(1);
    }

    @Test
    void predictWithFieldsUnknownToTheModelIsInvalidArgumentNamingKnownFeatures() {
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);

        assertThatThrownBy(() -> fixture.predictions.predict(PredictRequest.newBuilder()
                .setEntityId("nobody").putFields("colour", FieldValue.newBuilder().setStringValue("red").build())
                .build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("known to model 'default' v1", "'amount'");
            });
    }

    @Test
    void predictBeforeAnyModelIsFailedPrecondition() {
        assertThatThrownBy(() -> fixture.predictions.predict(ServingFixture.request("u-1").build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                assertThat(e.getStatus().getDescription())
                    .startsWith("no version of model 'default' has been published yet; ");
            });
    }

    @Test
    void requestBeforeAnyModelIsStillLoggedSoItsLabelCanTrainTheFirstVersion() {
        assertThatThrownBy(() -> fixture.predictions.predict(
                ServingFixture.request("u-1").setRequestId("before-any-model").build()))
            .isInstanceOf(StatusRuntimeException.class);

        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
            seen -> !seen.isEmpty(), ServingFixture.TIMEOUT);

        PredictionLogEntry entry = parse(records.get(0));
        assertThat(entry.getRequestId()).isEqualTo("before-any-model");
        assertThat(entry.getModelVersion()).as("0 marks a request no model answered").isZero();
        assertThat(entry.getLabel()).isEmpty();
        assertThat(entry.getFeaturesMap()).containsEntry("amount", 0.8).containsEntry("channel=web", 1.0);
    }

    @Test
    void healthIsNotServingUntilAModelLoadsThenServing() {
        assertThat(fixture.healthStatus()).isEqualTo(ServingStatus.NOT_SERVING);

        fixture.publish(1, 0, model);

        KafkaTestCluster.await("health SERVING", ServingFixture.TIMEOUT,
            () -> fixture.healthStatus() == ServingStatus.SERVING);
    }

    @Test
    void everyPredictionIsLoggedWithTheFeaturesUsedAndTheVersion() {
        fixture.putFeatures("u-7", Map.of("velocity", 0.9));
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);
        KafkaTestCluster.await("features replicated", ServingFixture.TIMEOUT,
            () -> fixture.server.stats().featureVectorsReplicated() >= 1);
        Set<String> requestIds = Set.of("r-1", "r-2", "r-3");
        for (String id : requestIds) {
            fixture.predictions.predict(ServingFixture.request("u-7").setRequestId(id).build());
        }

        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
            seen -> seen.size() >= requestIds.size(), ServingFixture.TIMEOUT);

        Map<String, PredictionLogEntry> entries = records.stream().map(ScoringServerIT::parse)
            .collect(Collectors.toMap(PredictionLogEntry::getRequestId, e -> e));
        assertThat(entries).containsOnlyKeys(requestIds);
        assertThat(entries.values()).allSatisfy(entry -> {
            assertThat(entry.getEntityId()).isEqualTo("u-7");
            assertThat(entry.getFeaturesMap()).isEqualTo(
                Map.of("velocity", 0.9, "amount", 0.8, "channel=web", 1.0, "is_new_device", 1.0));
            assertThat(entry.getModel()).isEqualTo("default");
            assertThat(entry.getModelVersion()).isEqualTo(1);
            assertThat(entry.getEntityKnown()).isTrue();
            assertThat(entry.getServedAtMs()).isPositive();
        });
        assertThat(records).allSatisfy(r -> assertThat(new String(r.key())).isEqualTo(parse(r).getRequestId()));
    }

    @Test
    void closeFlushesEveryPredictionToTheLog() {
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);
        int calls = 50;
        for (int i = 0; i < calls; i++) {
            fixture.predictions.predict(ServingFixture.request("u-" + i).setRequestId("c-" + i).build());
        }

        fixture.stop();

        // Read back right after close: every entry must already be on the topic.
        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
            seen -> seen.size() >= calls, ServingFixture.TIMEOUT);
        assertThat(records).hasSize(calls);
        assertThat(fixture.server.stats().predictionLogFailures()).isZero();
        assertThat(fixture.server.stats().predictionsServed()).isEqualTo(calls);
        fixture.start(); // so that @AfterEach has something to stop
    }

    @Test
    void closeEndsOpenStreamsWithUnavailableAfterTheirAnswersWithoutWaitingOutTheGracePeriod() throws Exception {
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);
        List<PredictResponse> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
        io.grpc.stub.StreamObserver<PredictRequest> requests = PredictionServiceGrpc.newStub(fixture.channel)
            .predictStream(new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(PredictResponse value) {
                    answers.add(value);
                }

                @Override
                public void onError(Throwable t) {
                    ended.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    ended.complete(null);
                }
            });
        requests.onNext(ServingFixture.request("u-1").setRequestId("before-close").build());
        KafkaTestCluster.await("the first answer", ServingFixture.TIMEOUT, () -> answers.size() == 1);

        long start = System.nanoTime();
        fixture.server.close();
        long closeMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(closeMs).as("close() took %d ms; the grace period is 2000 ms", closeMs).isLessThan(1500);
        assertThatThrownBy(() -> ended.get(5, java.util.concurrent.TimeUnit.SECONDS)).cause()
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).startsWith("this serving instance is shutting down; "
                    + "reopen the stream on another instance");
            });
        assertThat(answers).extracting(PredictResponse::getRequestId).containsExactly("before-close");
        fixture.channel.shutdownNow();
        fixture.start(); // so that @AfterEach has something to stop
    }

    @Test
    void corruptModelRecordsAreSkippedAndTheNextGoodVersionIsServed() {
        fixture.publish(1, 0, model);
        fixture.awaitServing(1);

        fixture.send(fixture.prefix + "models", "default/2", new byte[] {1, 2, 3, 4});
        fixture.publish(3, 1, new byte[] {9, 9, 9});
        fixture.publish(4, 1, model);

        fixture.awaitServing(4);
        assertThat(fixture.server.stats().swaps()).isEqualTo(1);
    }

    private static PredictionLogEntry parse(ConsumerRecord<byte[], byte[]> record) {
        try {
            return PredictionLogEntry.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
