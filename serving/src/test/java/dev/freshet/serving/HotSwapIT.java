package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class HotSwapIT {
    private static final int CLIENTS = 4;
    private static final int VERSIONS = 30;

    @Test
    void swapsUnderLoadFailNoCallAndVersionsNeverGoBackwards(KafkaTestCluster cluster, @TempDir Path stateDir)
            throws Exception {
        byte[][] models = {TestModels.trainedModelBytes(1), TestModels.trainedModelBytes(2),
            TestModels.trainedModelBytes(3)};
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.publish(1, 0, models[0]);
            fixture.awaitServing(1);

            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
            List<List<Long>> versionsSeen = new ArrayList<>();
            CountDownLatch allSawLast = new CountDownLatch(CLIENTS);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                List<Long> seen = new ArrayList<>();
                versionsSeen.add(seen);
                PredictRequest request = ServingFixture.request("u-" + c).build();
                Thread client = new Thread(() -> {
                    boolean counted = false;
                    while (!stop.get()) {
                        try {
                            long start = System.nanoTime();
                            long version = fixture.predictions.predict(request).getModelVersion();
                            latenciesMicros.add((System.nanoTime() - start) / 1000);
                            seen.add(version);
                            if (version == VERSIONS && !counted) {
                                counted = true;
                                allSawLast.countDown();
                            }
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                }, "client-" + c);
                clients.add(client);
                client.start();
            }

            for (long v = 2; v <= VERSIONS; v++) {
                fixture.publish(v, v - 1, models[(int) (v % models.length)]);
            }
            KafkaTestCluster.await("every client served by v" + VERSIONS, ServingFixture.TIMEOUT,
                () -> allSawLast.getCount() == 0);
            stop.set(true);
            for (Thread client : clients) {
                client.join(5000);
            }

            assertThat(failures).isEmpty();
            // Versions load off the request path, so the tail stays far below a model load plus warm-up even on
            // a busy CI machine; a swap that blocked callers would show here.
            long[] sorted = latenciesMicros.stream().mapToLong(Long::longValue).sorted().toArray();
            assertThat(sorted[(int) (sorted.length * 0.99)]).as("p99 latency (us) over %d calls during %d swaps",
                sorted.length, VERSIONS - 1).isLessThan(250_000);
            for (List<Long> seen : versionsSeen) {
                assertThat(seen).isSorted().endsWith((long) VERSIONS);
            }
            ServingStats stats = fixture.server.stats();
            assertThat(stats.failuresByStatus()).isEmpty();
            assertThat(stats.swaps()).isPositive();
            assertThat(stats.currentModelVersion()).isEqualTo(VERSIONS);
        }
    }
}
