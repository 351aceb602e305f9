package dev.freshet.launcher.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import picocli.CommandLine.Option;

/**
 * How a CLI verb reaches a Freshet gRPC server and proves who it is (shared by {@code freshet serving} and
 * {@code freshet features}): plaintext or TLS, optionally a client certificate, and a bearer token from
 * {@code --token}, {@code --token-file} or {@value #TOKEN_ENV}. The server records its changes under the token's
 * identity or the certificate's subject.
 */
final class GrpcClientOptions {
    static final String TOKEN_ENV = "FRESHET_ADMIN_TOKEN";

    @Option(names = "--token", paramLabel = "TOKEN",
        description = "Bearer token the server accepts (its *.admin.token, or one of its *.admin.token.file); or "
            + "set " + TOKEN_ENV + ", or use --token-file (a value given here shows in ps), or a client certificate "
            + "(--cert-file, --key-file).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File whose first line is the token.")
    Path tokenFile;

    @Option(names = "--tls", description = "Connect over TLS (implied by --ca-file and --cert-file); without "
        + "--ca-file the server's certificate is checked against the JVM's default trust store.")
    boolean tls;

    @Option(names = "--ca-file", paramLabel = "FILE",
        description = "PEM file of the CA certificates to trust for the server's certificate.")
    Path caFile;

    @Option(names = "--cert-file", paramLabel = "FILE", description = "PEM client certificate (chain) to present, "
        + "for the server's *.tls.client.ca.file; with a subject in its *.admin.allowed.subjects it replaces the "
        + "token.")
    Path certFile;

    @Option(names = "--key-file", paramLabel = "FILE", description = "PEM private key (PKCS#8) of --cert-file.")
    Path keyFile;

    /** A channel to {@code target} with these options' transport security; the caller shuts it down. */
    ManagedChannel channel(String target) {
        return Grpc.newChannelBuilder(target, credentials()).build();
    }

    /**
     * {@code stub} sending the token, when there is one.
     *
     * @param missing what to tell the user when a credential is needed but neither a token nor a client
     *                certificate is given; null when the call may go without one
     */
    <S extends AbstractStub<S>> S authenticated(S stub, String missing) {
        String found = token();
        if (found == null) {
            if (missing != null && certFile == null) {
                throw new LauncherException(missing);
            }
            return stub;
        }
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + found);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Whether the channel is plaintext (no TLS option given). */
    boolean plaintext() {
        return !tls && caFile == null && certFile == null;
    }

    /** A hint for a server that could not be reached, by the transport security used. */
    String unreachableHint(String clientCaKey) {
        return plaintext() ? " (if it serves TLS, add --tls or --ca-file)"
            : " (check --ca-file against the server's certificate, and the client certificate against its "
                + clientCaKey + ")";
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

    // With a client certificate the environment's token is not sent: the server then identifies the caller by the
    // certificate, as the user asked by giving one.
    private String token() {
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
