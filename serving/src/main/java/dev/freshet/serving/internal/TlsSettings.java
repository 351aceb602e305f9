package dev.freshet.serving.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

import dev.freshet.serving.ServingConfig;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code serving.tls.*} keys and {@code serving.admin.allowed.subjects}, checked at start so that a wrong file
 * fails there (naming the key and what is wrong) rather than at the first handshake. Immutable.
 */
public final class TlsSettings {
    private static final Pattern PKCS8 = Pattern.compile(
        "-----BEGIN PRIVATE KEY-----(.+?)-----END PRIVATE KEY-----", Pattern.DOTALL);

    /** When a client certificate is asked for, and whether calls without one are refused. */
    enum ClientAuth { NONE, OPTIONAL, REQUIRE }

    private final Path certFile;
    private final Path keyFile;
    private final Path clientCaFile;
    private final ClientAuth clientAuth;
    private final Set<X500Principal> allowedSubjects;

    private TlsSettings(Path certFile, Path keyFile, Path clientCaFile, ClientAuth clientAuth,
                        Set<X500Principal> allowedSubjects) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.clientCaFile = clientCaFile;
        this.clientAuth = clientAuth;
        this.allowedSubjects = Set.copyOf(allowedSubjects);
    }

    /**
     * Reads and checks the keys.
     *
     * @throws ConfigException naming the key, its value and what would be accepted
     */
    public static TlsSettings from(ServingConfig config) {
        Path cert = path(config, ServingConfig.TLS_CERT_FILE_CONFIG);
        Path key = path(config, ServingConfig.TLS_KEY_FILE_CONFIG);
        Path clientCa = path(config, ServingConfig.TLS_CLIENT_CA_FILE_CONFIG);
        ClientAuth auth = ClientAuth.valueOf(
            config.getString(ServingConfig.TLS_CLIENT_AUTH_CONFIG).toUpperCase(Locale.ROOT));
        Set<X500Principal> subjects = subjects(config.getString(ServingConfig.ADMIN_ALLOWED_SUBJECTS_CONFIG));
        if ((cert == null) != (key == null)) {
            String missing = cert == null ? ServingConfig.TLS_CERT_FILE_CONFIG : ServingConfig.TLS_KEY_FILE_CONFIG;
            throw new ConfigException(missing, "", "TLS needs both serving.tls.cert.file and serving.tls.key.file; "
                + "set " + missing + " too, or neither for plaintext");
        }
        if (clientCa != null && cert == null) {
            throw new ConfigException(ServingConfig.TLS_CLIENT_CA_FILE_CONFIG, clientCa.toString(),
                "client certificates need TLS: set serving.tls.cert.file and serving.tls.key.file too");
        }
        if (auth == ClientAuth.REQUIRE && clientCa == null) {
            throw new ConfigException(ServingConfig.TLS_CLIENT_AUTH_CONFIG, "require",
                "requiring client certificates needs serving.tls.client.ca.file (the CA that signs them)");
        }
        if (!subjects.isEmpty() && (clientCa == null || auth == ClientAuth.NONE)) {
            throw new ConfigException(ServingConfig.ADMIN_ALLOWED_SUBJECTS_CONFIG,
                config.getString(ServingConfig.ADMIN_ALLOWED_SUBJECTS_CONFIG), "admin access by client certificate "
                    + "needs serving.tls.client.ca.file and serving.tls.client.auth optional or require");
        }
        if (cert != null) {
            checkCertificates(ServingConfig.TLS_CERT_FILE_CONFIG, cert);
            checkPrivateKey(key);
        }
        if (clientCa != null) {
            checkCertificates(ServingConfig.TLS_CLIENT_CA_FILE_CONFIG, clientCa);
        }
        return new TlsSettings(cert, key, clientCa, clientCa == null ? ClientAuth.NONE : auth, subjects);
    }

    /** Plaintext, or TLS with the configured certificate and, with a client CA, client certificates asked for. */
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
            throw new ConfigException(ServingConfig.TLS_CERT_FILE_CONFIG, certFile.toString(),
                "cannot be read (" + e.getMessage() + ")");
        }
    }

    boolean tls() {
        return certFile != null;
    }

    ClientAuth clientAuth() {
        return clientAuth;
    }

    boolean subjectAllowed(X500Principal subject) {
        return allowedSubjects.contains(subject);
    }

    boolean anySubjectAllowed() {
        return !allowedSubjects.isEmpty();
    }

    private static Path path(ServingConfig config, String key) {
        String value = config.getString(key).strip();
        if (value.isEmpty()) {
            return null;
        }
        Path path = Path.of(value);
        if (!Files.isReadable(path)) {
            throw new ConfigException(key, value, "the file does not exist or cannot be read");
        }
        return path;
    }

    private static Set<X500Principal> subjects(String list) {
        Set<X500Principal> subjects = new LinkedHashSet<>();
        for (String subject : list.split(";")) {
            if (subject.isBlank()) {
                continue;
            }
            try {
                // X500Principal compares canonical forms, so spacing and attribute-name case do not matter.
                subjects.add(new X500Principal(subject.strip()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(ServingConfig.ADMIN_ALLOWED_SUBJECTS_CONFIG, list, String.format(
                    "'%s' is not a distinguished name (%s); write e.g. 'CN=alice,OU=ops,O=Example', several "
                        + "separated by ';'", subject.strip(), e.getMessage()));
            }
        }
        return subjects;
    }

    private static void checkCertificates(String key, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new ConfigException(key, file.toString(), "the file holds no certificate; it must be PEM "
                    + "('-----BEGIN CERTIFICATE-----')");
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(key, file.toString(), "the file is not a PEM certificate ("
                + e.getMessage() + ")");
        }
    }

    private static void checkPrivateKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException(ServingConfig.TLS_KEY_FILE_CONFIG, file.toString(),
                "cannot be read (" + e.getMessage() + ")");
        }
        Matcher pem = PKCS8.matcher(text);
        if (!pem.find()) {
            throw new ConfigException(ServingConfig.TLS_KEY_FILE_CONFIG, file.toString(), "the file holds no "
                + "unencrypted PKCS#8 key ('-----BEGIN PRIVATE KEY-----'); convert it with 'openssl pkcs8 -topk8 "
                + "-nocrypt -in KEY -out KEY.pk8'");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.group(1));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                return;
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new ConfigException(ServingConfig.TLS_KEY_FILE_CONFIG, file.toString(),
            "the PKCS#8 key is not an RSA, EC or Ed25519 key this JVM can read");
    }
}
