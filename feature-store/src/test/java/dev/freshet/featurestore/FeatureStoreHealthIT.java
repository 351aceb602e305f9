package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.GetOnlineFeaturesRequest;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FeatureStoreService's health and reflection: NOT_SERVING until the store can answer (the registry read and
 * every Kafka Streams application RUNNING), SERVING then, NOT_SERVING as soon as it closes; both reflection versions.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureStoreHealthIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private ManagedChannel channel;

    @BeforeEach
    void createTopicsAndRegisterAView(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples", prefix + "feature-views");
        FeatureViewRegistry.apply(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix),
            "views:\n" + FeatureViewRegistryIT.CARDS, "test.yaml", "test", false, TIMEOUT);
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void healthIsNotServingUntilTheViewsRunThenServingUntilCloseBegins() throws Exception {
        FeatureStore store = start();
        BlockingQueue<ServingStatus> statuses = watchHealth("");

        // start() returns before its applications have joined their groups, so the watch nearly always sees
        // NOT_SERVING first; a thread descheduled long enough on a loaded machine may only see SERVING, which is
        // also correct, so the order is asserted only as far as the watch could see it.
        ServingStatus first = statuses.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(first).isIn(ServingStatus.NOT_SERVING, ServingStatus.SERVING);
        if (first == ServingStatus.NOT_SERVING) {
            assertThat(statuses.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);
        }

        // SERVING means a lookup is answered, not refused as not queryable yet.
        assertThat(FeatureStoreServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getOnlineFeatures(GetOnlineFeaturesRequest.newBuilder().addEntityIds("nobody").build())
            .getResults(0).getFound()).isFalse();
        assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
            .setService(FeatureStoreServiceGrpc.SERVICE_NAME).build()).getStatus()).isEqualTo(ServingStatus.SERVING);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(store::close);
        assertThat(statuses.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
        channel.shutdownNow(); // the watch is a call in flight; the store would wait its grace period for it
        closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        // A close on purpose is not a stage stopping.
        assertThat(store.liveness().stopped()).isEmpty();
    }

    @Test
    void aStageThatStopsForGoodTurnsHealthNotServingAndNamesTheStage() throws Exception {
        // A producer limit below the store's own (featurestore.record.max.bytes, 1 MiB): the label join keeps a
        // pending prediction in its changelog, and the exactly-once producer refuses that record, after which its
        // transaction cannot go on. A real misconfiguration, and a stop for good: it would stop again on restart.
        FeatureStore store = start(Map.of("kafka.producer.max.request.size", 100_000));
        BlockingQueue<ServingStatus> statuses = watchHealth("");
        KafkaTestCluster.await("health SERVING", TIMEOUT, () -> statuses.contains(ServingStatus.SERVING));
        statuses.clear();
        PredictionLogEntry.Builder wide = PredictionLogEntry.newBuilder().setRequestId("r-1").setEntityId("u-1")
            .setLabel("0").setModel("default").setModelVersion(1).setServedAtMs(System.currentTimeMillis());
        for (int i = 0; i < 10_000; i++) {
            wide.putFeatures("feature_" + i, i);
        }
        cluster.produceBytes(prefix + "predictions",
            List.of(Map.entry("r-1".getBytes(StandardCharsets.UTF_8), wide.build().toByteArray())));

        assertThat(statuses.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(store.liveness().stopped()).hasValueSatisfying(stop -> {
            assertThat(stop.stage()).startsWith("label join");
            assertThat(stop.reason()).contains("RecordTooLargeException");
        });
        assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
            .setService(FeatureStoreServiceGrpc.SERVICE_NAME).build()).getStatus())
            .isEqualTo(ServingStatus.NOT_SERVING);
        channel.shutdownNow();
        store.close();
    }

    @Test
    void reflectionListsTheFeatureStoreServiceInBothVersions() throws Exception {
        try (FeatureStore store = start()) {
            List<String> v1 = ReflectionClient.listServices(channel, ReflectionClient.Version.V1);
            List<String> v1alpha = ReflectionClient.listServices(channel, ReflectionClient.Version.V1ALPHA);

            assertThat(v1).contains(FeatureStoreServiceGrpc.SERVICE_NAME, HealthGrpc.SERVICE_NAME);
            assertThat(v1alpha).containsExactlyInAnyOrderElementsOf(v1);
        }
    }

    private FeatureStore start() {
        return start(Map.of());
    }

    private FeatureStore start(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(extra);
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.put(FeatureStoreConfig.GRPC_PORT_CONFIG, 0);
        FeatureStore store = FeatureStore.start(props);
        channel = ManagedChannelBuilder.forAddress("localhost", store.grpcPort()).usePlaintext().build();
        return store;
    }

    /** Every status the server reports for {@code service}, as it reports them. */
    private BlockingQueue<ServingStatus> watchHealth(String service) {
        BlockingQueue<ServingStatus> statuses = new LinkedBlockingQueue<>();
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.newBuilder().setService(service).build(),
            new StreamObserver<>() {
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
        return statuses;
    }

    /** Lists services over either reflection version, as grpcurl (v1alpha) and newer tools (v1) do. */
    static final class ReflectionClient {
        enum Version { V1, V1ALPHA }

        private ReflectionClient() {
        }

        static List<String> listServices(ManagedChannel channel, Version version) throws Exception {
            return version == Version.V1 ? list(channel, io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
                ::serverReflectionInfo, io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("")
                .build(), r -> r.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList())
                : list(channel, io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)::serverReflectionInfo,
                io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build(),
                r -> r.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList());
        }

        private static <Q, R> List<String> list(ManagedChannel channel,
                Function<StreamObserver<R>, StreamObserver<Q>> open, Q request, Function<R, List<String>> names)
                throws Exception {
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
            return names.apply(answer.get(10, TimeUnit.SECONDS));
        }
    }
}
