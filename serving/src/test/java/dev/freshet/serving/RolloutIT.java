package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.serving.v1.ModelRole;
import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.proto.serving.v1.PromoteRequest;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class RolloutIT {
    private static final byte[] MODEL = TestModels.trainedModelBytes(21);
    private static final int ENTITIES = 300;

    @TempDir
    Path dir;

    @Test
    void challengerModeSendsTheConfiguredShareOfEntitiesToTheChallengerStickily(KafkaTestCluster cluster) {
        try (ServingFixture fixture = new ServingFixture(cluster, dir, Map.of(
                "serving.rollout.mode", "challenger", "serving.challenger.share", 0.3))) {
            startWithChampionAndChallenger(fixture);

            Map<String, Long> first = versionByEntity(fixture);
            Map<String, Long> second = versionByEntity(fixture);

            assertThat(second).as("sticky per entity").isEqualTo(first);
            long toChallenger = first.values().stream().filter(v -> v == 2).count();
            assertThat(toChallenger).as("entities of %d answered by the challenger", ENTITIES)
                .isBetween((long) (ENTITIES * 0.2), (long) (ENTITIES * 0.4));
            PredictResponse response = fixture.predictions.predict(ServingFixture.request(
                first.entrySet().stream().filter(e -> e.getValue() == 2).findFirst().orElseThrow().getKey()).build());
            assertThat(response.getModelRole()).isEqualTo(ModelRole.CHALLENGER);
        }
    }

    @Test
    void shadowModeAnswersWithTheChampionAndLogsBothPredictions(KafkaTestCluster cluster) {
        try (ServingFixture fixture = new ServingFixture(cluster, dir, Map.of("serving.rollout.mode", "shadow"))) {
            startWithChampionAndChallenger(fixture);

            PredictResponse response = fixture.predictions.predict(
                ServingFixture.request("u-1").setRequestId("shadowed").build());

            assertThat(response.getModelVersion()).isEqualTo(1);
            assertThat(response.getModelRole()).isEqualTo(ModelRole.CHAMPION);
            List<PredictionLogEntry> entries = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
                    seen -> seen.size() >= 2, ServingFixture.TIMEOUT).stream()
                .map(r -> parse(r.value())).filter(e -> e.getRequestId().equals("shadowed")).toList();
            assertThat(entries).extracting(PredictionLogEntry::getModelVersion, PredictionLogEntry::getModelRole,
                    PredictionLogEntry::getShadow)
                .containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple(1L, ModelRole.CHAMPION, false),
                    org.assertj.core.groups.Tuple.tuple(2L, ModelRole.CHALLENGER, true));
            assertThat(entries).allSatisfy(e -> assertThat(e.getFeaturesMap()).containsEntry("amount", 0.8));
        }
    }

    @Test
    void promoteMakesTheChallengerTheChampionAndTheNextVersionChallengesIt(KafkaTestCluster cluster)
            throws IOException {
        Path tokens = Files.writeString(dir.resolve("tokens"), "carol:c-token\n");
        Map<String, Object> props = new HashMap<>(Map.of("serving.rollout.mode", "challenger",
            "serving.admin.token.file", tokens.toString()));
        try (ServingFixture fixture = new ServingFixture(cluster, dir.resolve("state"), props)) {
            startWithChampionAndChallenger(fixture);

            AdminIT.admin(fixture, "c-token").promote(
                PromoteRequest.newBuilder().setReason("v2 beat v1 on 5000 labels").build());

            fixture.awaitServing(2);
            assertThat(fixture.server.stats().challengerModelVersion()).isZero();
            fixture.publish(3, 2, MODEL);
            KafkaTestCluster.await("v3 challenging", ServingFixture.TIMEOUT,
                () -> fixture.server.stats().challengerModelVersion() == 3);
            assertThat(fixture.server.stats().currentModelVersion()).isEqualTo(2);
            assertThat(AdminIT.admin(fixture, "c-token").status(StatusRequest.getDefaultInstance()).getLastChange())
                .isEqualTo("PROMOTE v2 by carol: v2 beat v1 on 5000 labels");
        }
    }

    private static void startWithChampionAndChallenger(ServingFixture fixture) {
        fixture.publish(1, 0, MODEL);
        fixture.publish(2, 1, MODEL);
        KafkaTestCluster.await("v1 champion, v2 challenger", ServingFixture.TIMEOUT,
            () -> fixture.server.stats().currentModelVersion() == 1
                && fixture.server.stats().challengerModelVersion() == 2);
    }

    private static Map<String, Long> versionByEntity(ServingFixture fixture) {
        PredictBatchRequest.Builder batch = PredictBatchRequest.newBuilder();
        for (int i = 0; i < ENTITIES; i++) {
            batch.addRequests(ServingFixture.request("card-" + i).setRequestId("card-" + i));
        }
        Map<String, Long> versions = new HashMap<>();
        fixture.predictions.predictBatch(batch.build()).getResponsesList()
            .forEach(r -> versions.put(r.getRequestId(), r.getModelVersion()));
        return versions;
    }

    private static PredictionLogEntry parse(byte[] bytes) {
        try {
            return PredictionLogEntry.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
