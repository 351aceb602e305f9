package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.freshet.proto.features.v1.ApplyFeatureViewsRequest;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.DescribeFeatureViewResponse;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc.FeatureStoreServiceBlockingStub;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import dev.freshet.proto.features.v1.GetOnlineFeaturesRequest;
import dev.freshet.proto.features.v1.GetOnlineFeaturesResponse.EntityFeatures;
import dev.freshet.proto.features.v1.GetOnlineFeaturesResponse;
import dev.freshet.proto.features.v1.ListFeatureViewsRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The feature store runs what the registry holds, follows it, and serves the FeatureStoreService. */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureStoreRegistryIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long T0 = 1_764_000_000_000L;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void createTopics(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples", prefix + "feature-views");
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void runsTheRegisteredViewsAndStartsAViewAppliedWhileRunning() throws Exception {
        applyToRegistry("views:\n" + FeatureViewRegistryIT.CARDS);
        FeatureStore store = start(Map.of());
        produce(event("u-1", "m-1", T0, 10), event("u-1", "m-2", T0 + 1000, 5));
        awaitVector(v -> v.getView().equals("cards") && v.getValuesOrDefault("amount_sum_1h", 0) == 15.0);

        applyToRegistry("views:\n" + FeatureViewRegistryIT.MERCHANTS);
        KafkaTestCluster.await("the view 'merchants' to run", TIMEOUT, () -> store.views().size() == 2);

        // The new view reads the events topic from its beginning: its history counts.
        FeatureVector merchant = awaitVector(v -> v.getView().equals("merchants") && v.getEntityId().equals("m-2"));
        assertThat(merchant.getValuesMap()).containsEntry("events_1h", 1.0).containsEntry("amount", 5.0);
        assertThat(store.views()).extracting(FeatureView::name).containsExactly("cards", "merchants");
    }

    @Test
    void appliesTheViewFileToTheRegistryAtStartup() throws Exception {
        Path file = dir.resolve("views.yaml");
        Files.writeString(file, "views:\n" + FeatureViewRegistryIT.CARDS);
        FeatureStore store = start(Map.of(FeatureStoreConfig.VIEW_FILE_CONFIG, file.toString()));

        assertThat(FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), TIMEOUT))
            .extracting(r -> r.getName() + " v" + r.getVersion() + " " + r.getState())
            .containsExactly("cards v1 ACTIVE");
        assertThat(store.views()).extracting(FeatureView::name).containsExactly("cards");
    }

    @Test
    void servesOnlineFeaturesForABatchAndFlagsAnUnknownEntity() throws Exception {
        applyToRegistry("views:\n" + FeatureViewRegistryIT.CARDS);
        FeatureStore store = start(Map.of(FeatureStoreConfig.GRPC_PORT_CONFIG, 0));
        produce(event("u-1", "m-1", T0, 10), event("u-2", "m-1", T0, 7));
        awaitVector(v -> v.getEntityId().equals("u-2"));
        FeatureStoreServiceBlockingStub stub = stub(store);

        GetOnlineFeaturesResponse response = await(() -> stub.getOnlineFeatures(GetOnlineFeaturesRequest.newBuilder()
            .addEntityIds("u-1").addEntityIds("nobody").addEntityIds("u-2").build()));

        assertThat(response.getResultsList()).extracting(EntityFeatures::getEntityId, EntityFeatures::getFound)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("u-1", true),
                org.assertj.core.groups.Tuple.tuple("nobody", false),
                org.assertj.core.groups.Tuple.tuple("u-2", true));
        assertThat(response.getResults(2).getValuesMap()).containsEntry("amount_sum_1h", 7.0);
        assertThat(response.getResults(2).getVectors(0).getView()).isEqualTo("cards");
        assertThatThrownBy(() -> stub.getOnlineFeatures(GetOnlineFeaturesRequest.newBuilder().addEntityIds("u-1")
                .addViews("nope").build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).startsWith("views: 'nope' is not a view this instance runs");
            });
    }

    @Test
    void refusesABadFileOverGrpcWithThePathsAndDescribesARegisteredView() throws Exception {
        applyToRegistry("views:\n" + FeatureViewRegistryIT.CARDS);
        FeatureStore store = start(Map.of(FeatureStoreConfig.GRPC_PORT_CONFIG, 0,
            FeatureStoreConfig.ADMIN_TOKEN_CONFIG, "t0k"));
        FeatureStoreServiceBlockingStub stub = stub(store);

        assertThatThrownBy(() -> withToken(stub, "t0k").applyFeatureViews(ApplyFeatureViewsRequest.newBuilder().setSource("bad.yaml")
                .setYaml("views:\n" + FeatureViewRegistryIT.MERCHANTS.replace("window: 1h", "window: soon")).build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).isEqualTo("Feature view bad.yaml is invalid: "
                    + "views[0].aggregations[0].window: 'soon' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
            });
        DescribeFeatureViewResponse cards = stub.describeFeatureView(
            DescribeFeatureViewRequest.newBuilder().setName("cards").build());

        assertThat(cards.getView().getVersion()).isEqualTo(1);
        assertThat(cards.getFeaturesList()).containsExactly("amount", "amount_sum_1h");
        assertThat(FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), TIMEOUT))
            .extracting(r -> r.getName()).containsExactly("cards");
        assertThatThrownBy(() -> stub.describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName("x").build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    /** Every row left out shows in describe, by reason: the view's dead-lettered events and the labels. */
    @Test
    void describeCountsTheViewsDeadLettersAndTheLabelsLeftOutByReason() throws Exception {
        applyToRegistry("views:\n" + FeatureViewRegistryIT.CARDS);
        FeatureStore store = start(Map.of(FeatureStoreConfig.GRPC_PORT_CONFIG, 0));
        produce(event("u-1", "m-1", T0, 10), event("u-1", "m-1", T0 + 1, 1).replace("1.0", "\"NA\""));
        cluster.produceStrings(prefix + "labels", List.of(
            new SimpleEntry<>("r-1", "{\"request_id\":\"r-1\",\"label\":null}")));

        KafkaTestCluster.await("describe to count the event and the label left out", TIMEOUT, () -> {
            DescribeFeatureViewResponse cards;
            try {
                cards = stub(store).describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName("cards")
                    .build());
            } catch (StatusRuntimeException e) {
                return false;
            }
            return cards.getEventsIn() == 2 && cards.getLabelsIn() == 1 && !cards.getLabelsLeftOutMap().isEmpty()
                && !cards.getEventsDeadLetteredMap().isEmpty();
        });
        DescribeFeatureViewResponse cards = stub(store).describeFeatureView(
            DescribeFeatureViewRequest.newBuilder().setName("cards").build());
        assertThat(cards.getFeatureVectorsOut()).isEqualTo(1);
        assertThat(cards.getEventsDeadLetteredMap()).containsExactly(Map.entry("WRONG_TYPE", 1L));
        assertThat(cards.getLabelsLeftOutMap()).containsExactly(Map.entry("MALFORMED_LABEL", 1L));
        assertThat(cards.getTrainingExamplesOut()).isZero();
    }

    @Test
    void registersViewsOverGrpcThatEveryInstanceThenRuns() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "carol:c4rol-s3cret\n");
        FeatureStore store = start(Map.of(FeatureStoreConfig.GRPC_PORT_CONFIG, 0,
            FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG, tokens.toString()));
        assertThat(store.views()).isEmpty();

        ApplyFeatureViewsResponse applied = withToken(stub(store), "c4rol-s3cret").applyFeatureViews(
            ApplyFeatureViewsRequest.newBuilder().setYaml("views:\n" + FeatureViewRegistryIT.CARDS)
                .setSource("cards.yaml").build());

        assertThat(applied.getViews(0).getChange()).isEqualTo(ApplyFeatureViewsResponse.Change.CREATED);
        KafkaTestCluster.await("the applied view to run", TIMEOUT, () -> store.views().size() == 1);
        assertThat(stub(store).listFeatureViews(ListFeatureViewsRequest.getDefaultInstance()).getViewsList())
            .extracting(r -> r.getName() + " v" + r.getVersion() + " by " + r.getAppliedBy())
            .containsExactly("cards v1 by carol");
    }

    @Test
    void skipsARegisteredViewOverACostBoundWithAWarningAndRunsTheOthers() throws Exception {
        applyToRegistry("views:\n" + FeatureViewRegistryIT.CARDS);
        // As an older Freshet, which did not bound a view's cost, registered it: straight onto the topic.
        cluster.produceBytes(prefix + "feature-views", List.of(new SimpleEntry<>("hops".getBytes(
            StandardCharsets.UTF_8), FeatureViewRecord.newBuilder().setName("hops").setVersion(1)
                .setState(FeatureViewRecord.State.ACTIVE).setDefinitionYaml("""
                    name: hops
                    entity: entity_id
                    event_time: event_time
                    aggregations: [{name: hops_1h, function: count, window: {type: hopping, size: 1h, advance: 1ms}}]
                    """).build().toByteArray())));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        FeatureStore store;
        try {
            System.setErr(new PrintStream(new TeeStream(originalErr, log), true, StandardCharsets.UTF_8));
            store = start(Map.of());
            produce(event("u-1", "m-1", T0, 10), event("u-1", "m-2", T0 + 1000, 5));
            awaitVector(v -> v.getView().equals("cards") && v.getValuesOrDefault("amount_sum_1h", 0) == 15.0);
        } finally {
            System.setErr(originalErr);
        }

        assertThat(store.views()).extracting(FeatureView::name).containsExactly("cards");
        List<String> skipped = log.toString(StandardCharsets.UTF_8).lines()
            .filter(l -> l.contains("Skipped feature view")).toList();
        assertThat(skipped).hasSize(1);
        assertThat(skipped.get(0)).endsWith("WARN " + FeatureStore.class.getName() + " - Skipped feature view 'hops' "
            + "v1 of the registry, which this version refuses: aggregations[0].window.advance: 1h / 1ms = 3,600,000 "
            + "windows per event; at most 1,000 are allowed; use an advance of at least 3600ms, or a trailing "
            + "window of 1h; the other views run; apply a corrected definition of it.");
    }

    /** Writes to the console as usual and keeps a copy for the test. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream console;
        private final OutputStream copy;

        TeeStream(OutputStream console, OutputStream copy) {
            this.console = console;
            this.copy = copy;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            console.write(b);
            copy.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            console.write(b, off, len);
            copy.write(b, off, len);
        }
    }

    private FeatureStoreServiceBlockingStub stub(FeatureStore store) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", store.grpcPort()).usePlaintext()
            .build();
        toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return FeatureStoreServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    static FeatureStoreServiceBlockingStub withToken(FeatureStoreServiceBlockingStub stub, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Retries while the store is still restoring (UNAVAILABLE). */
    private static <T> T await(java.util.function.Supplier<T> call) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private void applyToRegistry(String yaml) {
        FeatureViewRegistry.apply(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), yaml, "test.yaml", "test", false, TIMEOUT);
    }

    private FeatureStore start(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.putAll(extra);
        FeatureStore store = FeatureStore.start(props);
        toClose.add(store);
        return store;
    }

    private void produce(String... events) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (String event : events) {
            records.add(new SimpleEntry<>(null, event));
        }
        cluster.produceStrings(prefix + "events", records);
    }

    private FeatureVector awaitVector(java.util.function.Predicate<FeatureVector> wanted) throws Exception {
        List<FeatureVector> match = new ArrayList<>();
        cluster.consumeUntil(prefix + "features", records -> {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                try {
                    FeatureVector v = FeatureVector.parseFrom(record.value());
                    if (wanted.test(v)) {
                        match.add(v);
                        return true;
                    }
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                }
            }
            return false;
        }, TIMEOUT);
        return match.get(match.size() - 1);
    }

    private static String event(String entity, String merchant, long timeMs, double amount) {
        return String.format(Locale.ROOT, "{\"entity_id\":\"%s\",\"merchant_id\":\"%s\",\"event_time\":%d,"
            + "\"amount\":%s}", entity, merchant, timeMs, Double.toString(amount));
    }
}
