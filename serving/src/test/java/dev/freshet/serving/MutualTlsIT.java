package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.ChangeResponse;
import dev.freshet.proto.serving.v1.PinRequest;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.testing.TestCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Serving over TLS with client certificates (made at test time): admin by certificate subject or token. */
@ExtendWith(EmbeddedKafkaExtension.class)
class MutualTlsIT {
    private static final String ALICE = "CN=alice,OU=ops,O=Freshet test";
    private static Path dir;
    private static TestCertificates ca;
    private static TestCertificates.Issued alice;
    private static TestCertificates.Issued mallory;
    private static KafkaTestCluster cluster;
    private static String prefix;
    private static ScoringServer server;
    private ManagedChannel channel;

    @BeforeAll
    static void startServer(KafkaTestCluster kafka) throws Exception {
        cluster = kafka;
        dir = Files.createTempDirectory("freshet-tls-");
        ca = new TestCertificates(dir, "CN=Freshet test CA");
        alice = ca.client(ALICE);
        mallory = ca.client("CN=mallory,O=Freshet test");
        prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        server = start(Map.of("serving.admin.token", "t0k",
            // Spaced and cased differently from the certificate: subjects compare as names, not strings.
            "serving.admin.allowed.subjects", "cn=alice, ou=ops, o=Freshet test; CN=bob,O=Freshet test"));
        cluster.produceBytes(prefix + "models", List.of(Map.entry("default/1".getBytes(), ModelVersion.newBuilder()
            .setModel("default").setVersion(1).setOrigin(ModelVersion.Origin.EXTERNAL)
            .setTribuoModel(ByteString.copyFrom(TestModels.trainedModelBytes(4))).build().toByteArray())));
        KafkaTestCluster.await("serving v1", ServingFixture.TIMEOUT,
            () -> server.stats().currentModelVersion() == 1);
    }

    private static ScoringServer start(Map<String, String> extra) throws Exception {
        TestCertificates.Issued serverCert = ca.server();
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("serving.port", 0);
        props.put("serving.state.dir", Files.createTempDirectory(dir, "state").toString());
        props.put("serving.tls.cert.file", serverCert.cert().toString());
        props.put("serving.tls.key.file", serverCert.key().toString());
        props.put("serving.tls.client.ca.file", ca.caFile().toString());
        props.putAll(extra);
        return ScoringServer.start(props);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anAdminChangeWithAnAllowedClientCertificateIsRecordedUnderItsSubject() throws Exception {
        ChangeResponse change = AdminServiceGrpc.newBlockingStub(connect(server, alice))
            .pin(PinRequest.newBuilder().setVersion(1).setReason("freeze for the audit").build());

        assertThat(change.getIssuedBy()).isEqualTo(ALICE);
        List<ConsumerRecord<byte[], byte[]>> records = cluster.consumeUntil(prefix + "commands",
            seen -> seen.stream().anyMatch(r -> parse(r).getCommandId().equals(change.getCommandId())),
            ServingFixture.TIMEOUT);
        Command command = records.stream().map(MutualTlsIT::parse)
            .filter(c -> c.getCommandId().equals(change.getCommandId())).findFirst().orElseThrow();
        assertThat(command.getIssuedBy()).isEqualTo(ALICE);
        assertThat(command.getReason()).isEqualTo("freeze for the audit");
    }

    @Test
    void anAdminCallWithACertificateNotOnTheAllowListIsPermissionDeniedNamingTheSubject() throws Exception {
        assertThatThrownBy(() -> AdminServiceGrpc.newBlockingStub(connect(server, mallory))
                .status(StatusRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription()).isEqualTo("the client certificate "
                    + "'CN=mallory,O=Freshet test' is not allowed to make admin calls: add its subject to "
                    + "serving.admin.allowed.subjects (and restart), or call with a bearer token.");
            });
    }

    @Test
    void anAdminCallWithNeitherCertificateNorTokenIsUnauthenticatedSayingWhatToPresent() throws Exception {
        assertThatThrownBy(() -> AdminServiceGrpc.newBlockingStub(connect(server, null))
                .status(StatusRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("'authorization: Bearer <token>'",
                    "or a client certificate signed by the CA in serving.tls.client.ca.file whose subject is in "
                        + "serving.admin.allowed.subjects");
            });
    }

    @Test
    void aBearerTokenStillAdmitsAnAdminCallOverTlsWithoutACertificate() throws Exception {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer t0k");

        assertThat(AdminServiceGrpc.newBlockingStub(connect(server, null))
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .status(StatusRequest.getDefaultInstance()).getModel()).isEqualTo("default");
    }

    @Test
    void predictNeedsNoCertificateWhenClientAuthIsOptional() throws Exception {
        assertThat(PredictionServiceGrpc.newBlockingStub(connect(server, null))
            .predict(ServingFixture.request("u-1").build()).getModelVersion()).isEqualTo(1);
    }

    @Test
    void withClientAuthRequiredHealthStaysOpenButPredictWithoutACertificateIsUnauthenticated() throws Exception {
        try (ScoringServer strict = start(Map.of("serving.tls.client.auth", "require"))) {
            ManagedChannel anonymous = connect(strict, null);
            try {
                KafkaTestCluster.await("health SERVING without a client certificate", ServingFixture.TIMEOUT,
                    () -> HealthGrpc.newBlockingStub(anonymous).check(HealthCheckRequest.getDefaultInstance())
                        .getStatus() == ServingStatus.SERVING);
                assertThatThrownBy(() -> PredictionServiceGrpc.newBlockingStub(anonymous)
                        .predict(ServingFixture.request("u-1").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                        assertThat(e.getStatus().getDescription()).startsWith("this server requires a client "
                            + "certificate signed by its client CA (serving.tls.client.auth=require)");
                    });
                assertThat(strict.stats().failures(Status.Code.UNAUTHENTICATED)).isEqualTo(1);
            } finally {
                anonymous.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            assertThat(PredictionServiceGrpc.newBlockingStub(connect(strict, mallory))
                .predict(ServingFixture.request("u-1").build()).getModelVersion()).isEqualTo(1);
        }
    }

    /** A TLS channel trusting the test CA, presenting {@code client}'s certificate unless it is null. */
    private ManagedChannel connect(ScoringServer target, TestCertificates.Issued client) throws IOException {
        TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(ca.caFile().toFile());
        if (client != null) {
            tls.keyManager(client.cert().toFile(), client.key().toFile());
        }
        ChannelCredentials credentials = tls.build();
        ManagedChannel opened = Grpc.newChannelBuilderForAddress("localhost", target.port(), credentials).build();
        if (channel == null) {
            channel = opened;
        }
        return opened;
    }

    private static Command parse(ConsumerRecord<byte[], byte[]> record) {
        try {
            return Command.parseFrom(record.value());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
