package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.proto.serving.v1.StatusResponse;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code freshet serving ... --ca-file --cert-file --key-file} against a stand-in admin service over mutual TLS.
 * The certificates are self-signed, made by the JDK's keytool at test time: each side trusts the other's directly.
 */
class ServingAdminTlsCommandTest {
    private final List<String> clientSubjects = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    @TempDir
    Path dir;
    private Path serverCert;
    private Path clientCert;
    private Path clientKey;
    private Server server;

    @BeforeEach
    void startStandIn() throws Exception {
        Path serverKey = selfSigned("server", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
        serverCert = dir.resolve("server.pem");
        clientKey = selfSigned("client", "CN=alice,O=Freshet test", null);
        clientCert = dir.resolve("client.pem");
        ServerInterceptor record = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                try {
                    clientSubjects.add(((X509Certificate) session.getPeerCertificates()[0])
                        .getSubjectX500Principal().getName());
                } catch (SSLPeerUnverifiedException e) {
                    clientSubjects.add("none");
                }
                String authorization = headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
                authorizations.add(authorization == null ? "none" : authorization);
                return next.startCall(call, headers);
            }
        };
        server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
                .keyManager(serverCert.toFile(), serverKey.toFile())
                .trustManager(clientCert.toFile())
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build())
            .addService(ServerInterceptors.intercept(new AdminServiceGrpc.AdminServiceImplBase() {
                @Override
                public void status(StatusRequest request, StreamObserver<StatusResponse> responses) {
                    responses.onNext(StatusResponse.newBuilder().setModel("default").setChampionVersion(7)
                        .setRolloutMode("none").build());
                    responses.onCompleted();
                }
            }, record))
            .build().start();
    }

    @AfterEach
    void stopStandIn() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void statusOverMutualTlsPresentsTheClientCertificateInsteadOfAToken() {
        CliRun result = CliRun.of("serving", "status", "--target", "localhost:" + server.getPort(),
            "--ca-file", serverCert.toString(), "--cert-file", clientCert.toString(),
            "--key-file", clientKey.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("champion        v7");
        assertThat(clientSubjects).containsExactly("CN=alice,O=Freshet test");
        assertThat(authorizations).containsExactly("none");
    }

    @Test
    void aCertificateWithoutItsKeyIsRefusedBeforeConnecting() {
        CliRun result = CliRun.of("serving", "status", "--target", "localhost:" + server.getPort(),
            "--ca-file", serverCert.toString(), "--cert-file", clientCert.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--cert-file and --key-file go together");
        assertThat(clientSubjects).isEmpty();
    }

    /** Makes a self-signed certificate with keytool; writes NAME.pem, returns the PKCS#8 key file NAME.key. */
    private Path selfSigned(String name, String subject, String extension) throws Exception {
        Path store = dir.resolve(name + ".p12");
        List<String> command = new java.util.ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
            "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
            "-dname", subject, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
            "-storepass", "changeit", "-keypass", "changeit"));
        if (extension != null) {
            command.addAll(List.of("-ext", extension));
        }
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        Files.writeString(dir.resolve(name + ".pem"), pem("CERTIFICATE", keys.getCertificate(name).getEncoded()));
        return Files.writeString(dir.resolve(name + ".key"),
            pem("PRIVATE KEY", keys.getKey(name, "changeit".toCharArray()).getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }
}
