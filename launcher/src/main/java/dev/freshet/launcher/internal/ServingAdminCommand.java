package dev.freshet.launcher.internal;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.ChangeResponse;
import dev.freshet.proto.serving.v1.PinRequest;
import dev.freshet.proto.serving.v1.PromoteRequest;
import dev.freshet.proto.serving.v1.RollbackRequest;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.proto.serving.v1.StatusResponse;
import dev.freshet.proto.serving.v1.UnpinRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code freshet serving status|pin|unpin|rollback|promote}: the serving admin RPCs from the command line, in
 * plaintext or over TLS, optionally with a client certificate. Changes are recorded on the commands topic under the
 * identity of the token used (or the certificate's subject), with the given reason.
 */
@Command(name = "serving", description = "Inspect and control what a serving instance serves (admin RPCs).",
    subcommands = {ServingAdminCommand.StatusVerb.class, ServingAdminCommand.PinVerb.class,
        ServingAdminCommand.UnpinVerb.class, ServingAdminCommand.RollbackVerb.class,
        ServingAdminCommand.PromoteVerb.class})
public final class ServingAdminCommand {
    /** Where to connect and with which credentials; shared by every verb. */
    static final class Connection {
        @Option(names = "--target", defaultValue = "localhost:50051", paramLabel = "HOST:PORT",
            description = "Serving instance to call (default: ${DEFAULT-VALUE}).")
        String target;

        @Option(names = "--timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Mixin
        GrpcClientOptions client;

        <T> T call(Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
            ManagedChannel channel = client.channel(target);
            try {
                AdminServiceGrpc.AdminServiceBlockingStub stub = client.authenticated(AdminServiceGrpc
                    .newBlockingStub(channel).withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS), "An admin token is "
                    + "required: pass --token TOKEN, --token-file FILE or set " + GrpcClientOptions.TOKEN_ENV + " (the "
                    + "server's serving.admin.token); or present a client certificate whose subject is in the "
                    + "server's serving.admin.allowed.subjects with --cert-file and --key-file.");
                return rpc.apply(stub);
            } catch (StatusRuntimeException e) {
                throw new LauncherException(describe(e.getStatus()));
            } finally {
                channel.shutdownNow();
            }
        }

        private String describe(Status status) {
            return switch (status.getCode()) {
                case UNAVAILABLE -> String.format("serving at %s is unreachable or could not make the change: %s%s",
                    target, status.getDescription(), client.unreachableHint("serving.tls.client.ca.file"));
                case DEADLINE_EXCEEDED -> String.format("serving at %s did not answer within %d s.", target,
                    timeoutSeconds);
                case UNIMPLEMENTED -> String.format("%s does not offer the admin service; is it a Freshet serving "
                    + "instance of this version?", target);
                default -> String.format("serving at %s refused (%s): %s", target, status.getCode(),
                    status.getDescription());
            };
        }
    }

    abstract static class Verb implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        Integer printed(ChangeResponse change) {
            out().printf("%s (command %s, recorded as issued by '%s').%n", change.getSummary(),
                change.getCommandId(), change.getIssuedBy());
            out().flush();
            return 0;
        }
    }

    @Command(name = "status", description = "Show the champion, challenger, pin, barred versions and last change.")
    static final class StatusVerb extends Verb {
        @Override
        public Integer call() {
            StatusResponse status = connection.call(stub -> stub.status(StatusRequest.getDefaultInstance()));
            PrintWriter out = out();
            out.printf("model           %s%n", status.getModel());
            out.printf("champion        %s%n", version(status.getChampionVersion()));
            out.printf("challenger      %s%n", version(status.getChallengerVersion()));
            out.printf("pinned          %s%n", status.getPinnedVersion() == 0 ? "no"
                : "v" + status.getPinnedVersion());
            out.printf("newest          %s%n", version(status.getNewestVersion()));
            out.printf("barred          %s%n", status.getBarredVersionsList().isEmpty() ? "none"
                : status.getBarredVersionsList().stream().map(v -> "v" + v).collect(Collectors.joining(", ")));
            out.printf("rollout         %s%s%n", status.getRolloutMode(), status.getRolloutMode().equals("challenger")
                ? String.format(" (%.0f%% of entities to the challenger)", status.getChallengerShare() * 100) : "");
            out.printf("last change     %s%n", status.getLastChange().isEmpty() ? "none" : status.getLastChange());
            out.flush();
            return 0;
        }

        private static String version(long version) {
            return version == 0 ? "none" : "v" + version;
        }
    }

    @Command(name = "pin", description = "Freeze the served version: newer versions are not served until unpin.")
    static final class PinVerb extends Verb {
        @Parameters(index = "0", paramLabel = "VERSION", description = "Version to serve.")
        long version;

        @Option(names = "--reason", required = true, description = "Why, for the record.")
        String reason;

        @Override
        public Integer call() {
            return printed(connection.call(stub -> stub.pin(
                PinRequest.newBuilder().setVersion(version).setReason(reason).build())));
        }
    }

    @Command(name = "unpin", description = "Serve by the rollout again (by default, the newest non-barred version).")
    static final class UnpinVerb extends Verb {
        @Option(names = "--reason", required = true, description = "Why, for the record.")
        String reason;

        @Override
        public Integer call() {
            return printed(connection.call(stub -> stub.unpin(UnpinRequest.newBuilder().setReason(reason).build())));
        }
    }

    @Command(name = "rollback", description = "Bar a version and its descendants; serving returns to the newest "
        + "other version.")
    static final class RollbackVerb extends Verb {
        @Parameters(index = "0", arity = "0..1", paramLabel = "VERSION",
            description = "Version to bar (default: the current champion).")
        long version;

        @Option(names = "--reason", required = true, description = "Why, for the record.")
        String reason;

        @Override
        public Integer call() {
            return printed(connection.call(stub -> stub.rollback(
                RollbackRequest.newBuilder().setVersion(version).setReason(reason).build())));
        }
    }

    @Command(name = "promote", description = "Make a version (default: the challenger) the champion.")
    static final class PromoteVerb extends Verb {
        @Parameters(index = "0", arity = "0..1", paramLabel = "VERSION",
            description = "Version to promote (default: the current challenger).")
        long version;

        @Option(names = "--reason", required = true, description = "Why, for the record.")
        String reason;

        @Override
        public Integer call() {
            return printed(connection.call(stub -> stub.promote(
                PromoteRequest.newBuilder().setVersion(version).setReason(reason).build())));
        }
    }
}
