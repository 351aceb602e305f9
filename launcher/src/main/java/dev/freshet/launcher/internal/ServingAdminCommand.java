package dev.freshet.launcher.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
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
    static final String TOKEN_ENV = "FRESHET_ADMIN_TOKEN";

    /** Where to connect and with which token; shared by every verb. */
    static final class Connection {
        @Option(names = "--target", defaultValue = "localhost:50051", paramLabel = "HOST:PORT",
            description = "Serving instance to call (default: ${DEFAULT-VALUE}).")
        String target;

        @Option(names = "--token", paramLabel = "TOKEN",
            description = "Admin bearer token (serving.admin.token); or set " + TOKEN_ENV + ", or use --token-file, "
                + "or a client certificate (--cert-file, --key-file).")
        String token;

        @Option(names = "--token-file", paramLabel = "FILE", description = "File whose first line is the token.")
        Path tokenFile;

        @Option(names = "--timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Option(names = "--tls", description = "Connect over TLS (implied by --ca-file and --cert-file); without "
            + "--ca-file the server's certificate is checked against the JVM's default trust store.")
        boolean tls;

        @Option(names = "--ca-file", paramLabel = "FILE",
            description = "PEM file of the CA certificates to trust for the server's certificate.")
        Path caFile;

        @Option(names = "--cert-file", paramLabel = "FILE", description = "PEM client certificate (chain) to "
            + "present, for serving.tls.client.ca.file; with a subject in serving.admin.allowed.subjects it "
            + "replaces the token.")
        Path certFile;

        @Option(names = "--key-file", paramLabel = "FILE",
            description = "PEM private key (PKCS#8) of --cert-file.")
        Path keyFile;

        <T> T call(Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
            AdminServiceGrpc.AdminServiceBlockingStub stub;
            ManagedChannel channel = Grpc.newChannelBuilder(target, credentials()).build();
            try {
                stub = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS);
                String token = certFile == null ? requiredToken() : optionalToken();
                if (token != null) {
                    Metadata headers = new Metadata();
                    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                    stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
                }
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
                    target, status.getDescription(), plaintext() ? " (if it serves TLS, add --tls or --ca-file)"
                        : " (check --ca-file against the server's certificate, and the client certificate against "
                        + "its serving.tls.client.ca.file)");
                case DEADLINE_EXCEEDED -> String.format("serving at %s did not answer within %d s.", target,
                    timeoutSeconds);
                case UNIMPLEMENTED -> String.format("%s does not offer the admin service; is it a Freshet serving "
                    + "instance of this version?", target);
                default -> String.format("serving at %s refused (%s): %s", target, status.getCode(),
                    status.getDescription());
            };
        }

        private boolean plaintext() {
            return !tls && caFile == null && certFile == null;
        }

        private ChannelCredentials credentials() {
            if ((certFile == null) != (keyFile == null)) {
                throw new LauncherException("--cert-file and --key-file go together: give both to present a client "
                    + "certificate, or neither.");
            }
            if (plaintext()) {
                return InsecureChannelCredentials.create();
            }
            TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
            try {
                if (caFile != null) {
                    credentials.trustManager(caFile.toFile());
                }
                if (certFile != null) {
                    credentials.keyManager(certFile.toFile(), keyFile.toFile());
                }
            } catch (IOException e) {
                throw new LauncherException("Cannot read a TLS file (--ca-file, --cert-file or --key-file): "
                    + e.getMessage(), e);
            }
            return credentials.build();
        }

        private String requiredToken() {
            String found = optionalToken();
            if (found == null) {
                throw new LauncherException("An admin token is required: pass --token TOKEN, --token-file FILE or "
                    + "set " + TOKEN_ENV + " (the server's serving.admin.token); or present a client certificate "
                    + "whose subject is in the server's serving.admin.allowed.subjects with --cert-file and "
                    + "--key-file.");
            }
            return found;
        }

        // With a client certificate the token is optional; the server then identifies the caller by the certificate.
        private String optionalToken() {
            if (token != null && !token.isBlank()) {
                return token.strip();
            }
            if (tokenFile != null) {
                try {
                    return Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst()
                        .map(String::strip).filter(t -> !t.isEmpty())
                        .orElseThrow(() -> new LauncherException("--token-file " + tokenFile + " is empty."));
                } catch (IOException e) {
                    throw new LauncherException("Cannot read --token-file " + tokenFile + ": " + e.getMessage(), e);
                }
            }
            String fromEnv = System.getenv(TOKEN_ENV);
            if (fromEnv != null && !fromEnv.isBlank() && certFile == null) {
                return fromEnv.strip();
            }
            return null;
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
