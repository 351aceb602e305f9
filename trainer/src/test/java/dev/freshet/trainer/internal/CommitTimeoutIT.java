package dev.freshet.trainer.internal;

import dev.freshet.trainer.testing.PublishedVersions;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Liveness;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.trainer.TrainerConfig;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A commit whose answer does not come within {@code max.block.ms} neither loses nor duplicates examples, whether
 * the broker committed it meanwhile or not, and the trainer restarted afterwards resumes exactly.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CommitTimeoutIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int PUBLISH_EVERY = 100;

    /**
     * The producer as Kafka's own behaves when {@code commitTransaction} times out: the outcome is pending, the
     * commit must be retried, and every other transactional call is refused until it is (KafkaProducer's javadoc;
     * TransactionManager's "previous call ... timed out and must be retried"). The second commit of a version
     * times out once; with {@code brokerCommitted} the broker had committed it by then.
     */
    @SuppressWarnings("unchecked")
    private static UnaryOperator<Producer<String, byte[]>> secondCommitTimesOut(boolean brokerCommitted,
                                                                                 AtomicInteger timeouts) {
        return real -> (Producer<String, byte[]>) Proxy.newProxyInstance(Producer.class.getClassLoader(),
            new Class<?>[] {Producer.class}, new InvocationHandler() {
                private int commits;
                private boolean pending;

                @Override
                public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
                    String name = method.getName();
                    if (pending && Set.of("beginTransaction", "abortTransaction", "sendOffsetsToTransaction")
                            .contains(name)) {
                        throw new KafkaException("Cannot attempt operation `" + name + "` because the previous call "
                            + "to `commitTransaction` timed out and must be retried");
                    }
                    if (name.equals("commitTransaction")) {
                        if (pending) {
                            pending = false;
                            if (brokerCommitted) {
                                return null;
                            }
                        } else if (++commits == 2) {
                            pending = true;
                            timeouts.incrementAndGet();
                            if (brokerCommitted) {
                                real.commitTransaction();
                            }
                            throw new TimeoutException("Timeout expired after 1ms while awaiting EndTxn(true)");
                        }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            });
    }

    @ParameterizedTest(name = "broker committed before the timeout: {0}")
    @ValueSource(booleans = {true, false})
    void aCommitThatTimesOutIsRetriedAndTheResumedTrainerLearnsEveryExampleOnce(boolean brokerCommitted,
                                                                                KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands");
        produceExamples(cluster, prefix, 0, 500);
        AtomicInteger timeouts = new AtomicInteger();
        Liveness liveness = new Liveness("trainer");
        try (TrainerLoop trainer = new TrainerLoop(config(cluster, prefix), InstantSource.system(), liveness,
                secondCommitTimesOut(brokerCommitted, timeouts))) {
            awaitVersions(cluster, prefix, 5);
            KafkaTestCluster.await("the trainer learned 500 examples", TIMEOUT,
                () -> trainer.stats().versionsPublished() == 5);
            assertThat(trainer.stats().examplesSeen()).isEqualTo(500);
        }
        assertThat(timeouts.get()).as("commits that timed out").isEqualTo(1);
        assertThat(liveness.alive()).as("the trainer was closed, it did not stop").isTrue();

        produceExamples(cluster, prefix, 500, 300);
        try (TrainerLoop resumed = new TrainerLoop(config(cluster, prefix), InstantSource.system(),
                new Liveness("trainer"))) {
            awaitVersions(cluster, prefix, 8);
            KafkaTestCluster.await("the resumed trainer published 3 versions", TIMEOUT,
                () -> resumed.stats().versionsPublished() == 3);
            assertThat(resumed.stats().examplesSeen()).as("examples learned after the restart").isEqualTo(300);
        }
        List<ModelVersion> versions = awaitVersions(cluster, prefix, 8);
        assertThat(versions).extracting(ModelVersion::getVersion).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(versions).extracting(ModelVersion::getParentVersion)
            .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(versions).extracting(ModelVersion::getExamplesSeen)
            .containsExactly(100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L);
        assertThat(versions.get(7).getInputOffsetsMap()).containsEntry(0, 800L);
    }

    private static TrainerConfig config(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.publish.every.examples", PUBLISH_EVERY);
        props.put("trainer.publish.interval.ms", 600_000L);
        return new TrainerConfig(props);
    }

    private static List<ModelVersion> awaitVersions(KafkaTestCluster cluster, String prefix, int count) {
        return PublishedVersions.await(cluster, prefix + "models", count, TIMEOUT);
    }

    private static void produceExamples(KafkaTestCluster cluster, String prefix, int from, int n) {
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            double amount = (i * 37 % 100) / 10.0;
            TrainingExample example = TrainingExample.newBuilder()
                .setRequestId("r-" + i).setEntityId("u-" + (i % 10))
                .putFeatures("amount", amount)
                .setLabel(amount > 5 ? "1" : "0")
                .setLabelArrivedAtMs(1_000_000L + i)
                .build();
            records.add(Map.entry(("u-" + (i % 10)).getBytes(StandardCharsets.UTF_8), example.toByteArray()));
        }
        cluster.produceBytes(prefix + "training-examples", records);
    }
}
