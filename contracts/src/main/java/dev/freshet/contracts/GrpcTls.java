package dev.freshet.contracts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * How a gRPC server is reached: plaintext, or TLS (1.2 or newer, grpc-java's default) with, optionally, client
 * certificates signed by a configured CA (mutual TLS), and the certificate subjects allowed to make admin calls.
 * Read from a component's {@link GrpcSecurityKeys} and checked at start, so that a wrong file fails there (naming
 * the key and what is wrong) rather than at the first handshake. Immutable; thread-safe.
 */
public final class GrpcTls {
    private static final GrpcTls PLAINTEXT = new GrpcTls(null, null, null, null, ClientAuth.NONE, Set.of());

    /** When a client certificate is asked for, and whether calls without one are refused. */
    public enum ClientAuth { NONE, OPTIONAL, REQUIRE }

    private final GrpcSecurityKeys keys;
    private final Path certFile;
    private final Path keyFile;
    private final Path clientCaFile;
    private final ClientAuth clientAuth;
    private final Set<X500Principal> allowedSubjects;

    private GrpcTls(GrpcSecurityKeys keys, Path certFile, Path keyFile, Path clientCaFile, ClientAuth clientAuth,
                    Set<X500Principal> allowedSubjects) {
        this.keys = keys;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.clientCaFile = clientCaFile;
        this.clientAuth = clientAuth;
        this.allowedSubjects = Set.copyOf(allowedSubjects);
    }

    /** Plaintext: no TLS, no client certificates, no subject allowed. */
    public static GrpcTls plaintext() {
        return PLAINTEXT;
    }

    /**
     * Reads and checks the TLS keys and the allowed subjects of {@code keys} from {@code config}, which must define
     * them as strings (empty meaning unset; the client-auth key one of none, optional, require).
     *
     * @throws ConfigException naming the key, its value and what would be accepted
     */
    public static GrpcTls from(AbstractConfig config, GrpcSecurityKeys keys) {
        Path cert = PemFiles.file(config, keys.certFile());
        Path key = PemFiles.file(config, keys.keyFile());
        Path clientCa = PemFiles.file(config, keys.clientCaFile());
        ClientAuth auth = ClientAuth.valueOf(config.getString(keys.clientAuth()).toUpperCase(Locale.ROOT));
        String subjectList = config.getString(keys.allowedSubjectsKey());
        Set<X500Principal> subjects = subjects(keys.allowedSubjectsKey(), subjectList);
        if ((cert == null) != (key == null)) {
            String missing = cert == null ? keys.certFile() : keys.keyFile();
            throw new ConfigException(missing, "", "TLS needs both " + keys.certFile() + " and " + keys.keyFile()
                + "; set " + missing + " too, or neither for plaintext");
        }
        if (clientCa != null && cert == null) {
            throw new ConfigException(keys.clientCaFile(), clientCa.toString(), "client certificates need TLS: set "
                + keys.certFile() + " and " + keys.keyFile() + " too");
        }
        if (auth == ClientAuth.REQUIRE && clientCa == null) {
            throw new ConfigException(keys.clientAuth(), "require", "requiring client certificates needs "
                + keys.clientCaFile() + " (the CA that signs them)");
        }
        if (!subjects.isEmpty() && (clientCa == null || auth == ClientAuth.NONE)) {
            throw new ConfigException(keys.allowedSubjectsKey(), subjectList, "admin access by client certificate "
                + "needs " + keys.clientCaFile() + " and " + keys.clientAuth() + " optional or require");
        }
        if (cert != null) {
            PemFiles.certificates(keys.certFile(), cert);
            PemFiles.privateKey(keys.keyFile(), key);
        }
        if (clientCa != null) {
            PemFiles.certificates(keys.clientCaFile(), clientCa);
        }
        return new GrpcTls(keys, cert, key, clientCa, clientCa == null ? ClientAuth.NONE : auth, subjects);
    }

    /**
     * Plaintext, or TLS with the configured certificate and, with a client CA, client certificates asked for.
     *
     * @throws ConfigException if a file became unreadable since it was checked
     */
    public ServerCredentials serverCredentials() {
        if (certFile == null) {
            return InsecureServerCredentials.create();
        }
        try {
            TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
                .keyManager(certFile.toFile(), keyFile.toFile());
            if (clientAuth != ClientAuth.NONE) {
                // Always OPTIONAL at the TLS layer: a call without a certificate then reaches the interceptors,
                // which refuse it with a status that says what to present, not a bare handshake failure.
                tls.trustManager(clientCaFile.toFile()).clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
            }
            return tls.build();
        } catch (IOException e) {
            throw new ConfigException(keys.certFile(), certFile.toString(), "cannot be read (" + e.getMessage() + ")");
        }
    }

    /** Whether the server speaks TLS. */
    public boolean enabled() {
        return certFile != null;
    }

    /** When client certificates are asked for; {@link ClientAuth#NONE} without a client CA. */
    public ClientAuth clientAuth() {
        return clientAuth;
    }

    /** Whether a verified certificate with this subject may make admin calls. */
    public boolean subjectAllowed(X500Principal subject) {
        return allowedSubjects.contains(subject);
    }

    /** Whether any certificate subject may make admin calls. */
    public boolean anySubjectAllowed() {
        return !allowedSubjects.isEmpty();
    }

    /** For the start-up log: plaintext, TLS, and whether client certificates are accepted or required. */
    public String describe() {
        if (!enabled()) {
            return "plaintext";
        }
        return switch (clientAuth) {
            case NONE -> "TLS";
            case OPTIONAL -> "TLS, client certificates accepted";
            case REQUIRE -> "TLS, client certificates required";
        };
    }

    /**
     * With client certificates required, an interceptor that refuses every call without a verified one with
     * UNAUTHENTICATED, saying what to present; otherwise one that lets every call through.
     */
    public ServerInterceptor certificateCheck() {
        if (clientAuth != ClientAuth.REQUIRE) {
            return new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                   ServerCallHandler<Q, R> next) {
                    return next.startCall(call, headers);
                }
            };
        }
        Status refusal = Status.UNAUTHENTICATED.withDescription("this server requires a client certificate signed by "
            + "its client CA (" + keys.clientAuth() + "=require); connect over TLS with one (" + keys.command()
            + " --cert-file CERT --key-file KEY, or your gRPC client's key manager).");
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                if (ClientCertificates.subject(call).isPresent()) {
                    return next.startCall(call, headers);
                }
                call.close(refusal, new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
        };
    }

    private static Set<X500Principal> subjects(String key, String list) {
        Set<X500Principal> subjects = new LinkedHashSet<>();
        for (String subject : list.split(";")) {
            if (subject.isBlank()) {
                continue;
            }
            try {
                // X500Principal compares canonical forms, so spacing and attribute-name case do not matter.
                subjects.add(new X500Principal(subject.strip()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, list, String.format("'%s' is not a distinguished name (%s); write "
                    + "e.g. 'CN=alice,OU=ops,O=Example', several separated by ';'", subject.strip(), e.getMessage()));
            }
        }
        return subjects;
    }
}
