package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.ChangeResponse;
import dev.freshet.proto.serving.v1.PinRequest;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.proto.serving.v1.StatusResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code freshet serving ...} against a stand-in admin service that records what it was sent. */
class ServingAdminCommandTest {
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<PinRequest> pins = new CopyOnWriteArrayList<>();
    private Server server;

    @BeforeEach
    void startStandIn() throws Exception {
        ServerInterceptor recordAuthorization = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                authorizations.add(headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER)));
                return next.startCall(call, headers);
            }
        };
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(new AdminServiceGrpc.AdminServiceImplBase() {
                @Override
                public void status(StatusRequest request, StreamObserver<StatusResponse> responses) {
                    responses.onNext(StatusResponse.newBuilder().setModel("default").setChampionVersion(4)
                        .setPinnedVersion(4).setNewestVersion(6).addBarredVersions(5).addBarredVersions(6)
                        .setRolloutMode("none").setLastChange("PIN v4 by alice: drift").build());
                    responses.onCompleted();
                }

                @Override
                public void pin(PinRequest request, StreamObserver<ChangeResponse> responses) {
                    if (request.getVersion() == 99) {
                        responses.onError(Status.NOT_FOUND.withDescription("model 'default' has no v99 in the "
                            + "registry; versions go up to v6.").asRuntimeException());
                        return;
                    }
                    pins.add(request);
                    responses.onNext(ChangeResponse.newBuilder().setCommandId("c-1").setIssuedBy("alice")
                        .setSummary("model 'default' will be served by v3 only, until unpinned").build());
                    responses.onCompleted();
                }
            }, recordAuthorization))
            .build().start();
    }

    @AfterEach
    void stopStandIn() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void statusPrintsWhatIsServed() {
        CliRun result = CliRun.of("serving", "status", "--target", target(), "--token", "t0k");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("champion        v4", "pinned          v4", "barred          v5, v6",
            "last change     PIN v4 by alice: drift");
        assertThat(authorizations).containsExactly("Bearer t0k");
    }

    @Test
    void pinSendsTheVersionAndReasonAndSaysWhoItIsRecordedAs() {
        CliRun result = CliRun.of("serving", "pin", "3", "--reason", "v4 misbehaves", "--target", target(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(pins).singleElement().satisfies(pin -> {
            assertThat(pin.getVersion()).isEqualTo(3);
            assertThat(pin.getReason()).isEqualTo("v4 misbehaves");
        });
        assertThat(result.out()).contains("model 'default' will be served by v3 only, until unpinned (command c-1, "
            + "recorded as issued by 'alice').");
    }

    @Test
    void aRefusalIsPrintedWithTheServersReasonAndExitCode2() {
        CliRun result = CliRun.of("serving", "pin", "99", "--reason", "r", "--target", target(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("refused (NOT_FOUND): model 'default' has no v99 in the registry");
    }

    @Test
    void withoutATokenItSaysHowToGiveOne() {
        CliRun result = CliRun.of("serving", "status", "--target", target());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("An admin token is required: pass --token TOKEN");
        assertThat(authorizations).isEmpty();
    }

    private String target() {
        return "localhost:" + server.getPort();
    }
}
