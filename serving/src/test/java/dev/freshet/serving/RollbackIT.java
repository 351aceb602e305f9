package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class RollbackIT {
    private static byte[] model;

    @BeforeAll
    static void trainModel() {
        model = TestModels.trainedModelBytes(7);
    }

    @Test
    void rollbackServesTheRestoreVersionAndNeverABarredDescendant(KafkaTestCluster cluster, @TempDir Path stateDir) {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            // v1 <- v2 <- v3: rolling back v2 bars v3 too.
            fixture.publish(1, 0, model);
            fixture.publish(2, 1, model);
            fixture.publish(3, 2, model);
            fixture.awaitServing(3);

            fixture.rollback(2, 1, "accuracy fell from 0.91 to 0.62 over 500 labels");

            KafkaTestCluster.await("responses from v1", ServingFixture.TIMEOUT, () -> servedVersion(fixture) == 1);
            Set<Long> servedAfterRollback = new HashSet<>();
            fixture.publish(4, 3, model); // a descendant of the barred v2, published after the rollback
            KafkaTestCluster.await("v4 read from the registry", ServingFixture.TIMEOUT, () -> {
                servedAfterRollback.add(servedVersion(fixture));
                return fixture.server.stats().newestPublishedVersion() == 4;
            });
            for (int i = 0; i < 50; i++) {
                servedAfterRollback.add(servedVersion(fixture));
            }
            assertThat(servedAfterRollback).containsOnly(1L);

            fixture.publish(5, 1, model); // continues from the restore version: servable
            KafkaTestCluster.await("responses from v5", ServingFixture.TIMEOUT, () -> servedVersion(fixture) == 5);
        }
    }

    @Test
    void barringSurvivesARestart(KafkaTestCluster cluster, @TempDir Path stateDir) {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.publish(1, 0, model);
            fixture.publish(2, 1, model);
            fixture.awaitServing(2);
            fixture.rollback(2, 1, "drift");
            fixture.awaitServing(1);

            fixture.stop();
            fixture.start();

            fixture.awaitServing(1);
            assertThat(servedVersion(fixture)).isEqualTo(1);
            assertThat(fixture.server.stats().newestPublishedVersion()).isEqualTo(2);
        }
    }

    private static long servedVersion(ServingFixture fixture) {
        return fixture.predictions.predict(ServingFixture.request("u-1").build()).getModelVersion();
    }
}
