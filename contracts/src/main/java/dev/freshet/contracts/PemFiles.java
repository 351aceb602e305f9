package dev.freshet.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * Reads the PEM files every Freshet listener takes (a certificate chain, an unencrypted PKCS#8 key), once, for gRPC
 * ({@link GrpcTls}) and HTTP ({@link HttpSecurity}) alike, refusing a wrong file with the key that named it.
 */
final class PemFiles {
    private static final Pattern PKCS8 = Pattern.compile(
        "-----BEGIN PRIVATE KEY-----(.+?)-----END PRIVATE KEY-----", Pattern.DOTALL);
    private static final char[] IN_MEMORY = new char[0];

    private PemFiles() {
    }

    /**
     * The readable file a string key names, or null when the key is empty.
     *
     * @throws ConfigException naming the key when the file does not exist or cannot be read
     */
    static Path file(AbstractConfig config, String key) {
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

    /**
     * The certificates of a PEM file, in file order.
     *
     * @throws ConfigException naming {@code key} when the file holds none or is not PEM
     */
    static List<Certificate> certificates(String key, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<Certificate> certificates = List.copyOf(CertificateFactory.getInstance("X.509")
                .generateCertificates(in));
            if (certificates.isEmpty()) {
                throw new ConfigException(key, file.toString(), "the file holds no certificate; it must be PEM "
                    + "('-----BEGIN CERTIFICATE-----')");
            }
            return certificates;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(key, file.toString(), "the file is not a PEM certificate ("
                + e.getMessage() + ")");
        }
    }

    /**
     * The RSA, EC or Ed25519 key of an unencrypted PKCS#8 PEM file.
     *
     * @throws ConfigException naming {@code key}, saying how to convert another format
     */
    static PrivateKey privateKey(String key, Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException(key, file.toString(), "cannot be read (" + e.getMessage() + ")");
        }
        Matcher pem = PKCS8.matcher(text);
        if (!pem.find()) {
            throw new ConfigException(key, file.toString(), "the file holds no unencrypted PKCS#8 key ('-----BEGIN "
                + "PRIVATE KEY-----'); convert it with 'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8'");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.group(1));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new ConfigException(key, file.toString(), "the PKCS#8 key is not an RSA, EC or Ed25519 key this JVM "
            + "can read");
    }

    /**
     * A server-side TLS context presenting the certificate chain of {@code certFile} with the key of
     * {@code keyFile}; TLS 1.2 or newer, as the JDK negotiates by default.
     *
     * @throws ConfigException naming the key of the file at fault, or {@code keyKey} when the key does not fit
     */
    static SSLContext serverContext(String certKey, Path certFile, String keyKey, Path keyFile) {
        List<Certificate> chain = certificates(certKey, certFile);
        PrivateKey privateKey = privateKey(keyKey, keyFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", privateKey, IN_MEMORY, chain.toArray(Certificate[]::new));
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(store, IN_MEMORY);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(keyKey, keyFile.toString(), "the key does not go with the certificate of "
                + certKey + " (" + e.getMessage() + ")");
        }
    }
}
