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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.freshet.proto.features.v1.ApplyFeatureViewsRequest;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc.FeatureStoreServiceBlockingStub;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import dev.freshet.proto.features.v1.GetOnlineFeaturesRequest;
import dev.freshet.proto.features.v1.ListFeatureViewsRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.testing.TestCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may change what the feature store computes, through its real gRPC port over TCP (and real TLS where
 * certificates are the point): the probe of issue 19 (an anonymous ApplyFeatureViews naming its own applied_by) is
 * refused and registers nothing; an authenticated apply is recorded under the principal the caller proved.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureStoreGrpcSecurityIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String ALICE = "CN=alice,OU=ops,O=Freshet test";
    private static final String CARDS = "views:\n" + FeatureViewRegistryIT.CARDS;
    /** One event would open 3.6 million windows: the "view that OOMs the store" of issue 19. */
    private static final String HOPS = """
        name: hops
        entity: entity_id
        event_time: event_time
        aggregations: [{name: hops_1h, function: count, window: {type: hopping, size: 1h, advance: 1ms}}]
        """;

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
    void theProbeIsPermissionDeniedNamingTheKeysWhenNoCredentialIsConfiguredAndRegistersNothing() {
        FeatureStore store = start(Map.of());

        assertThatThrownBy(() -> stub(plaintext(store)).applyFeatureViews(forged(CARDS)))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription()).isEqualTo("admin calls are disabled on this feature store: "
                    + "set featurestore.admin.token (or featurestore.admin.token.file, or "
                    + "featurestore.admin.allowed.subjects for client certificates) and restart it.");
            });
        assertThat(registered()).isEmpty();
    }

    @Test
    void theProbeIsUnauthenticatedWithoutATokenOrWithAWrongOneAndRegistersNothing() throws Exception {
        FeatureStore store = start(Map.of(FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG, tokenFile().toString()));
        FeatureStoreServiceBlockingStub anonymous = stub(plaintext(store));

        assertThatThrownBy(() -> anonymous.applyFeatureViews(forged(CARDS)))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).startsWith("admin calls need the header 'authorization: "
                    + "Bearer <token>' with a token from featurestore.admin.token or featurestore.admin.token.file "
                    + "(freshet features apply --target HOST:PORT --token TOKEN)");
            });
        assertThatThrownBy(() -> FeatureStoreRegistryIT.withToken(anonymous, "guess").applyFeatureViews(forged(CARDS)))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(registered()).isEmpty();
        // Reads stay open by default (featurestore.read.auth=open, the port on this machine only).
        assertThat(anonymous.listFeatureViews(ListFeatureViewsRequest.getDefaultInstance()).getViewsList()).isEmpty();
    }

    @Test
    void aTokenApplyIsRecordedUnderTheTokenFilesIdentityAndAForgedNameIsRefused() throws Exception {
        FeatureStore store = start(Map.of(FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG, tokenFile().toString()));
        FeatureStoreServiceBlockingStub carol = FeatureStoreRegistryIT.withToken(stub(plaintext(store)), "c4rol");

        assertThatThrownBy(() -> carol.applyFeatureViews(forged(CARDS)))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).isEqualTo("applied_by 'production-bot' is not the "
                    + "identity you authenticated as ('carol'); leave applied_by empty: the feature store records "
                    + "who authenticated");
            });
        assertThat(registered()).isEmpty();

        ApplyFeatureViewsResponse applied = carol.applyFeatureViews(ApplyFeatureViewsRequest.newBuilder()
            .setYaml(CARDS).setSource("cards.yaml").build());

        assertThat(applied.getViews(0).getChange()).isEqualTo(ApplyFeatureViewsResponse.Change.CREATED);
        assertThat(registered()).extracting(r -> r.getName() + " v" + r.getVersion() + " by " + r.getAppliedBy())
            .containsExactly("cards v1 by carol");
    }

    @Test
    void overMutualTlsAnAllowedSubjectIsRecordedAndAnAnonymousReadIsRefusedWhenReadsAreAuthenticated()
            throws Exception {
        TestCertificates ca = new TestCertificates(dir, "CN=Freshet test CA");
        TestCertificates.Issued serverCert = ca.server();
        TestCertificates.Issued alice = ca.client(ALICE);
        TestCertificates.Issued mallory = ca.client("CN=mallory,O=Freshet test");
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.TLS_CERT_FILE_CONFIG, serverCert.cert().toString());
        props.put(FeatureStoreConfig.TLS_KEY_FILE_CONFIG, serverCert.key().toString());
        props.put(FeatureStoreConfig.TLS_CLIENT_CA_FILE_CONFIG, ca.caFile().toString());
        // Spaced and cased differently from the certificate: subjects compare as names.
        props.put(FeatureStoreConfig.ADMIN_ALLOWED_SUBJECTS_CONFIG, "cn=alice, ou=ops, o=Freshet test");
        props.put(FeatureStoreConfig.READ_AUTH_CONFIG, "authenticated");
        FeatureStore store = start(props);

        ApplyFeatureViewsResponse applied = stub(tls(store, ca, alice)).applyFeatureViews(
            ApplyFeatureViewsRequest.newBuilder().setYaml(CARDS).setSource("cards.yaml").build());

        assertThat(applied.getViews(0).getVersion()).isEqualTo(1);
        assertThat(registered()).extracting(r -> r.getName() + " by " + r.getAppliedBy())
            .containsExactly("cards by " + ALICE);
        assertThatThrownBy(() -> stub(tls(store, ca, mallory)).applyFeatureViews(forged(CARDS)))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription()).contains("'CN=mallory,O=Freshet test'",
                    "featurestore.admin.allowed.subjects");
            });
        GetOnlineFeaturesRequest lookup = GetOnlineFeaturesRequest.newBuilder().addEntityIds("u-1").build();
        assertThatThrownBy(() -> stub(tls(store, ca, null)).getOnlineFeatures(lookup))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        FeatureStoreServiceBlockingStub aliceReads = stub(tls(store, ca, alice));
        assertThat(awaitAnswer(() -> aliceReads.getOnlineFeatures(lookup)).getResults(0).getFound()).isFalse();
    }

    @Test
    void aViewThatWouldExhaustTheStoreIsRefusedOverGrpcByTheSameCostBoundsAsTheCli() throws Exception {
        FeatureStore store = start(Map.of(FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG, tokenFile().toString()));

        assertThatThrownBy(() -> FeatureStoreRegistryIT.withToken(stub(plaintext(store)), "c4rol")
                .applyFeatureViews(ApplyFeatureViewsRequest.newBuilder().setYaml(HOPS).setSource("hops.yaml").build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("aggregations[0].window.advance: 1h / 1ms = "
                    + "3,600,000 windows per event; at most 1,000 are allowed");
            });
        assertThatThrownBy(() -> FeatureViewRegistry.validate(HOPS, "hops.yaml"))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessageContaining("3,600,000 windows per event; at most 1,000 are allowed");
        assertThat(registered()).isEmpty();
    }

    @Test
    void warnsAtStartWhenTokensWouldTravelInClearTextBeyondThisMachine() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        try {
            System.setErr(new PrintStream(new TeeStream(originalErr, log), true, StandardCharsets.UTF_8));
            start(Map.of(FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG, tokenFile().toString(),
                FeatureStoreConfig.GRPC_BIND_ADDRESS_CONFIG, "0.0.0.0"));
        } finally {
            System.setErr(originalErr);
        }

        assertThat(log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("WARN")))
            .anySatisfy(l -> assertThat(l).contains("listens on 0.0.0.0 (beyond this machine) in plaintext while "
                + "tokens are configured: every token a caller presents travels in clear text"));
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("c4rol");
    }

    @Test
    void refusesAtStartAnUnreadableTokenFileOrReadsNobodyCouldAuthenticateFor() {
        assertThatThrownBy(() -> start(Map.of(FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG,
                dir.resolve("missing").toString())))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(FeatureStoreConfig.ADMIN_TOKEN_FILE_CONFIG)
            .hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> start(Map.of(FeatureStoreConfig.TLS_CERT_FILE_CONFIG,
                dir.resolve("missing.pem").toString(), FeatureStoreConfig.TLS_KEY_FILE_CONFIG, "")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(FeatureStoreConfig.TLS_CERT_FILE_CONFIG);
        assertThatThrownBy(() -> start(Map.of(FeatureStoreConfig.READ_AUTH_CONFIG, "authenticated")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(FeatureStoreConfig.READ_AUTH_CONFIG)
            .hasMessageContaining("authenticated reads need a credential");
    }

    private Path tokenFile() throws IOException {
        Path file = dir.resolve("tokens");
        if (!Files.exists(file)) {
            Files.writeString(file, "# who may change what the store computes\ncarol:c4rol\n");
        }
        return file;
    }

    /** The probe's request: a valid view, and an applied_by of the caller's own choosing. */
    private static ApplyFeatureViewsRequest forged(String yaml) {
        return ApplyFeatureViewsRequest.newBuilder().setYaml(yaml).setSource("probe.yaml")
            .setAppliedBy("production-bot").build();
    }

    private List<FeatureViewRecord> registered() {
        return FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix",
            prefix), TIMEOUT);
    }

    private ManagedChannel plaintext(FeatureStore store) {
        return channel(store, InsecureChannelCredentials.create());
    }

    private ManagedChannel tls(FeatureStore store, TestCertificates ca, TestCertificates.Issued client)
            throws IOException {
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder()
            .trustManager(ca.caFile().toFile());
        if (client != null) {
            credentials.keyManager(client.cert().toFile(), client.key().toFile());
        }
        return channel(store, credentials.build());
    }

    private ManagedChannel channel(FeatureStore store, ChannelCredentials credentials) {
        ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + store.grpcPort(), credentials).build();
        toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return channel;
    }

    private static FeatureStoreServiceBlockingStub stub(ManagedChannel channel) {
        return FeatureStoreServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Retries while the store is still starting its views (UNAVAILABLE). */
    private static <T> T awaitAnswer(java.util.function.Supplier<T> call) throws InterruptedException {
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

    private FeatureStore start(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.put(FeatureStoreConfig.GRPC_PORT_CONFIG, 0);
        props.putAll(extra);
        FeatureStore store = FeatureStore.start(props);
        toClose.add(store);
        return store;
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
}
