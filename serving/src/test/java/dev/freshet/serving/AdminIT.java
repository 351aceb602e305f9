package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.ChangeResponse;
import dev.freshet.proto.serving.v1.PinRequest;
import dev.freshet.proto.serving.v1.RollbackRequest;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.proto.serving.v1.StatusResponse;
import dev.freshet.proto.serving.v1.UnpinRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class AdminIT {
    private static final byte[] MODEL = TestModels.trainedModelBytes(5);

    @TempDir
    Path dir;

    @Test
    void pinFreezesTheServedVersionUntilUnpinAndRecordsWhoAndWhy(KafkaTestCluster cluster) throws IOException {
        try (ServingFixture fixture = new ServingFixture(cluster, dir.resolve("state"), withTokenFile())) {
            fixture.publish(1, 0, MODEL);
            fixture.publish(2, 1, MODEL);
            fixture.awaitServing(2);

            ChangeResponse pinned = admin(fixture, "alice-secret").pin(
                PinRequest.newBuilder().setVersion(1).setReason("v2 looks off on mobile").build());

            assertThat(pinned.getIssuedBy()).isEqualTo("alice");
            fixture.awaitServing(1);
            fixture.publish(3, 2, MODEL);
            KafkaTestCluster.await("v3 read", ServingFixture.TIMEOUT,
                () -> fixture.server.stats().newestPublishedVersion() == 3);
            assertThat(servedVersion(fixture)).as("pinned").isEqualTo(1);
            StatusResponse status = admin(fixture, "alice-secret").status(StatusRequest.getDefaultInstance());
            assertThat(status.getPinnedVersion()).isEqualTo(1);
            assertThat(status.getChampionVersion()).isEqualTo(1);
            assertThat(status.getLastChange()).isEqualTo("PIN v1 by alice: v2 looks off on mobile");

            admin(fixture, "bob-secret").unpin(UnpinRequest.newBuilder().setReason("fixed").build());

            fixture.awaitServing(3);
            List<Command> commands = commands(fixture, 2);
            assertThat(commands).extracting(Command::getTypeValue)
                .containsExactly(Command.Type.PIN_VALUE, Command.Type.UNPIN_VALUE);
            assertThat(commands).extracting(Command::getIssuedBy).containsExactly("alice", "bob");
            assertThat(commands.get(0).getReason()).isEqualTo("v2 looks off on mobile");
            assertThat(commands.get(0).getTargetVersion()).isEqualTo(1);
        }
    }

    @Test
    void rollbackBarsTheVersionAndItsDescendantsAndServesTheNewestOtherVersion(KafkaTestCluster cluster)
            throws IOException {
        try (ServingFixture fixture = new ServingFixture(cluster, dir.resolve("state"), withTokenFile())) {
            fixture.publish(1, 0, MODEL);
            fixture.publish(2, 1, MODEL);
            fixture.publish(3, 2, MODEL);
            fixture.awaitServing(3);

            ChangeResponse change = admin(fixture, "alice-secret").rollback(
                RollbackRequest.newBuilder().setVersion(2).setReason("accuracy fell to 0.6").build());

            assertThat(change.getSummary()).isEqualTo("model 'default' v2 and its descendants will be barred; "
                + "v1 will serve");
            fixture.awaitServing(1);
            Command rollback = commands(fixture, 1).get(0);
            assertThat(rollback.getType()).isEqualTo(Command.Type.ROLLBACK);
            assertThat(rollback.getTargetVersion()).isEqualTo(2);
            assertThat(rollback.getRestoreVersion()).isEqualTo(1);
            assertThat(rollback.getIssuedBy()).isEqualTo("alice");
            KafkaTestCluster.await("status shows the barred versions", ServingFixture.TIMEOUT, () -> admin(fixture,
                "alice-secret").status(StatusRequest.getDefaultInstance()).getBarredVersionsList()
                .equals(List.of(2L, 3L)));
        }
    }

    @Test
    void pinOfAVersionNotInTheRegistryIsNotFound(KafkaTestCluster cluster) throws IOException {
        try (ServingFixture fixture = new ServingFixture(cluster, dir.resolve("state"), withTokenFile())) {
            fixture.publish(1, 0, MODEL);
            fixture.awaitServing(1);

            assertThatThrownBy(() -> admin(fixture, "alice-secret").pin(
                    PinRequest.newBuilder().setVersion(9).setReason("try").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription())
                        .isEqualTo("model 'default' has no v9 in the registry; versions go up to v1.");
                });
        }
    }

    @Test
    void adminCallsWithoutOrWithAWrongTokenAreUnauthenticatedAndChangeNothing(KafkaTestCluster cluster)
            throws IOException {
        try (ServingFixture fixture = new ServingFixture(cluster, dir.resolve("state"), withTokenFile())) {
            fixture.publish(1, 0, MODEL);
            fixture.awaitServing(1);
            PinRequest pin = PinRequest.newBuilder().setVersion(1).setReason("r").build();

            assertThatThrownBy(() -> AdminServiceGrpc.newBlockingStub(fixture.channel).pin(pin))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).startsWith(
                        "admin calls need the header 'authorization: Bearer <token>'");
                });
            assertThatThrownBy(() -> admin(fixture, "guess").pin(pin))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).startsWith("the bearer token is not one this "
                        + "serving instance accepts");
                });
            assertThat(admin(fixture, "alice-secret").status(StatusRequest.getDefaultInstance())
                .getPinnedVersion()).isZero();
        }
    }

    @Test
    void adminCallsArePermissionDeniedWhenNoTokenIsConfigured(KafkaTestCluster cluster) {
        try (ServingFixture fixture = new ServingFixture(cluster, dir.resolve("state"))) {
            assertThatThrownBy(() -> admin(fixture, "anything").status(StatusRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("admin calls are disabled on this serving "
                        + "instance: set serving.admin.token (or serving.admin.token.file, or "
                        + "serving.admin.allowed.subjects for client certificates) and restart it.");
                });
        }
    }

    private Map<String, Object> withTokenFile() throws IOException {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, "# operators\nalice:alice-secret\nbob: bob-secret\n");
        return Map.of("serving.admin.token.file", tokens.toString());
    }

    static AdminServiceGrpc.AdminServiceBlockingStub admin(ServingFixture fixture, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return AdminServiceGrpc.newBlockingStub(fixture.channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static long servedVersion(ServingFixture fixture) {
        return fixture.predictions.predict(ServingFixture.request("u-1").build()).getModelVersion();
    }

    private static List<Command> commands(ServingFixture fixture, int count) {
        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "commands",
            seen -> seen.size() >= count, ServingFixture.TIMEOUT);
        return records.stream().map(r -> {
            try {
                return Command.parseFrom(r.value());
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }
}
