package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * serving.prediction.log.durability=acked: an answered prediction is in the predictions topic by the time its answer
 * arrives, and one that cannot be written is not answered.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class PredictionLogDurabilityIT {
    // Long enough that in async mode a record could not be in the topic right after its answer.
    private static final Map<String, Object> ACKED = Map.of("serving.prediction.log.durability", "acked",
        "serving.prediction.log.linger.ms", 1000);

    @Test
    void inAckedModeEveryAnsweredPredictionIsInTheLogWhenItsAnswerArrives(KafkaTestCluster cluster,
                                                                          @TempDir Path stateDir) {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir, ACKED);
             LogReader log = new LogReader(cluster, fixture.prefix + "predictions")) {
            fixture.publish(1, 0, TestModels.trainedModelBytes(1));
            fixture.awaitServing(1);

            for (int i = 0; i < 5; i++) {
                String id = "acked-" + i;
                fixture.predictions.predict(ServingFixture.request("u-" + i).setRequestId(id).build());
                assertThat(log.requestIdsUpToTheEndNow()).as("the log read right after answering %s", id).contains(id);
            }
            fixture.predictions.predictBatch(PredictBatchRequest.newBuilder()
                .addRequests(ServingFixture.request("u-1").setRequestId("acked-batch-0"))
                .addRequests(ServingFixture.request("u-2").setRequestId("acked-batch-1")).build());
            assertThat(log.requestIdsUpToTheEndNow()).contains("acked-batch-0", "acked-batch-1");
        }
    }

    @Test
    void inAckedModeAPredictionThatCannotBeLoggedIsUnavailableAndNotCountedAsAnswered(KafkaTestCluster cluster,
                                                                                      @TempDir Path stateDir)
            throws Exception {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir, ACKED)) {
            fixture.publish(1, 0, TestModels.trainedModelBytes(1));
            fixture.awaitServing(1);
            fixture.predictions.predict(ServingFixture.request("u-1").build());
            long answeredBefore = fixture.server.stats().predictionsServed();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
                admin.deleteTopics(List.of(fixture.prefix + "predictions")).all().get(30, TimeUnit.SECONDS);
            }

            assertThatThrownBy(() -> fixture.predictions.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .predict(ServingFixture.request("u-1").setRequestId("unlogged").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).startsWith("the prediction could not be written to "
                        + "the prediction log").endsWith("so it was not answered; retry.");
                });
            assertThat(fixture.server.stats().predictionsServed()).isEqualTo(answeredBefore);
            assertThat(fixture.server.stats().failures(Status.Code.UNAVAILABLE)).isEqualTo(1);
            assertThat(fixture.server.stats().predictionLogFailures()).isPositive();
        }
    }

    /** Reads every partition of the topic from the beginning up to its end offsets at the time of each call. */
    private static final class LogReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final List<TopicPartition> partitions;
        private final Set<String> seen = new HashSet<>();

        LogReader(KafkaTestCluster cluster, String topic) {
            // The log's producer is not transactional: what the broker acknowledged is what any reader sees.
            consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", cluster.bootstrapServers(),
                "isolation.level", "read_uncommitted"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        Set<String> requestIdsUpToTheEndNow() {
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + ServingFixture.TIMEOUT.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read the predictions topic up to " + end);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    seen.add(requestId(record));
                }
            }
            return seen;
        }

        private static String requestId(ConsumerRecord<byte[], byte[]> record) {
            try {
                return PredictionLogEntry.parseFrom(record.value()).getRequestId();
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
