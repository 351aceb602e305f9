package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;

import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The features topic keyed {@code <view>/<entity id>}: one vector per view, merged at lookup. */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureViewsIT {
    private static final byte[] MODEL = TestModels.trainedModelBytes(11);

    @TempDir
    Path stateDir;
    private ServingFixture fixture;

    @BeforeEach
    void startServer(KafkaTestCluster cluster) {
        fixture = new ServingFixture(cluster, stateDir);
        fixture.publish(1, 0, MODEL);
        fixture.awaitServing(1);
    }

    @AfterEach
    void stopServer() {
        fixture.close();
    }

    @Test
    void predictMergesEveryViewOfTheEntityAndRequestFieldsStillWin() {
        fixture.putViewFeatures("transactions", "u-1", 1_000, Map.of("amount_avg_1h", 0.4, "amount", 0.1));
        fixture.putViewFeatures("profile", "u-1", 2_000, Map.of("velocity", 0.3));

        PredictResponse response = awaitFeatures("u-1", features -> features.containsKey("velocity")
            && features.containsKey("amount_avg_1h"));

        assertThat(response.getFeaturesMap()).isEqualTo(Map.of("amount_avg_1h", 0.4, "velocity", 0.3,
            "amount", 0.8, "channel=web", 1.0, "is_new_device", 1.0));
        assertThat(response.getEntityKnown()).isTrue();
    }

    @Test
    void aNewerVectorOfOneViewReplacesOnlyThatView() {
        fixture.putViewFeatures("transactions", "u-2", 1_000, Map.of("amount_avg_1h", 0.4));
        fixture.putViewFeatures("profile", "u-2", 1_000, Map.of("velocity", 0.3));
        fixture.putViewFeatures("profile", "u-2", 3_000, Map.of("velocity", 0.9));

        PredictResponse response = awaitFeatures("u-2", features -> Double.valueOf(0.9).equals(features.get("velocity")));

        assertThat(response.getFeaturesMap()).containsEntry("amount_avg_1h", 0.4).containsEntry("velocity", 0.9);
    }

    @Test
    void aTombstoneRemovesOneViewOfOneEntityAndTheLastOneMakesItUnknown() {
        fixture.putViewFeatures("transactions", "u-3", 1_000, Map.of("amount_avg_1h", 0.4));
        fixture.putViewFeatures("profile", "u-3", 1_000, Map.of("velocity", 0.3));
        fixture.putViewFeatures("profile", "u-4", 1_000, Map.of("velocity", 0.5));
        awaitFeatures("u-3", features -> features.containsKey("velocity") && features.containsKey("amount_avg_1h"));

        fixture.deleteViewFeatures("profile", "u-3");

        PredictResponse afterOne = awaitFeatures("u-3", features -> !features.containsKey("velocity"));
        assertThat(afterOne.getFeaturesMap()).containsEntry("amount_avg_1h", 0.4);
        assertThat(afterOne.getEntityKnown()).isTrue();
        assertThat(predict("u-4").getFeaturesMap()).as("another entity's vector of that view")
            .containsEntry("velocity", 0.5);

        fixture.deleteViewFeatures("transactions", "u-3");

        PredictResponse afterAll = awaitFeatures("u-3", features -> !features.containsKey("amount_avg_1h"));
        assertThat(afterAll.getEntityKnown()).isFalse();
    }

    @Test
    void aLegacyKeyWithoutViewIsUsedUntilANamedViewWritesTheEntity() {
        fixture.putFeatures("u-5", Map.of("amount_avg_1h", 0.2, "velocity", 0.7));

        PredictResponse legacy = awaitFeatures("u-5", features -> features.containsKey("velocity"));
        assertThat(legacy.getFeaturesMap()).containsEntry("amount_avg_1h", 0.2).containsEntry("velocity", 0.7);
        assertThat(legacy.getEntityKnown()).isTrue();

        fixture.putViewFeatures("transactions", "u-5", 5_000, Map.of("amount_avg_1h", 0.6));

        PredictResponse named = awaitFeatures("u-5", features -> Double.valueOf(0.6).equals(features.get("amount_avg_1h")));
        assertThat(named.getFeaturesMap()).as("the named view supersedes the legacy vector")
            .doesNotContainKey("velocity");
    }

    @Test
    void aLegacyTombstoneRemovesTheLegacyVector() {
        fixture.putFeatures("u-6", Map.of("velocity", 0.7));
        awaitFeatures("u-6", features -> features.containsKey("velocity"));

        fixture.send(fixture.prefix + "features", "u-6", null);

        assertThat(awaitFeatures("u-6", features -> !features.containsKey("velocity")).getEntityKnown()).isFalse();
    }

    private PredictResponse awaitFeatures(String entityId, Predicate<Map<String, Double>> condition) {
        PredictResponse[] last = new PredictResponse[1];
        KafkaTestCluster.await("the features of " + entityId, ServingFixture.TIMEOUT, () -> {
            last[0] = predict(entityId);
            return condition.test(last[0].getFeaturesMap());
        });
        return last[0];
    }

    private PredictResponse predict(String entityId) {
        return fixture.predictions.predict(ServingFixture.request(entityId).setIncludeFeatures(true).build());
    }
}
