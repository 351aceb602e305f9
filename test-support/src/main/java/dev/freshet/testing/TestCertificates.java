package dev.freshet.testing;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway certificate authority, made at test time, issuing server and client certificates as PEM files. */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final KeyPair caKey;
    private final X509Certificate caCert;

    /** The PEM files of one issued certificate. */
    public record Issued(Path cert, Path key) {
    }

    public TestCertificates(Path dir, String caName) throws Exception {
        this.dir = dir;
        this.caKey = keyPair();
        X500Name name = x500(caName);
        this.caCert = sign(new JcaX509v3CertificateBuilder(name, serial(), notBefore(), notAfter(), name,
            caKey.getPublic()).addExtension(Extension.basicConstraints, true, new BasicConstraints(true)));
    }

    /** The CA's certificate as a PEM file (what a peer trusts). */
    public Path caFile() throws IOException {
        return write(dir.resolve(safe(caCert.getSubjectX500Principal().getName()) + "-ca.pem"), caCert);
    }

    /** A certificate for a server reachable as localhost. */
    public Issued server() throws Exception {
        return issue("CN=localhost", true);
    }

    /** A client certificate with {@code subject}, e.g. {@code CN=alice,O=Freshet test}. */
    public Issued client(String subject) throws Exception {
        return issue(subject, false);
    }

    private Issued issue(String subject, boolean server) throws Exception {
        KeyPair key = keyPair();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCert, serial(), notBefore(),
            notAfter(), x500(subject), key.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        if (server) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }
        X509Certificate cert = sign(builder);
        String base = safe(subject) + "-" + SERIAL.incrementAndGet();
        Path certFile = write(dir.resolve(base + ".pem"), cert);
        Path keyFile = dir.resolve(base + ".key");
        try (Writer out = Files.newBufferedWriter(keyFile, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(new JcaPKCS8Generator(key.getPrivate(), null));
        }
        return new Issued(certFile, keyFile);
    }

    private X509Certificate sign(X509v3CertificateBuilder builder)
            throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter().getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    }

    private static Path write(Path file, X509Certificate cert) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(cert);
        }
        return file;
    }

    // Through X500Principal, so that the leftmost name is the most specific one as in RFC 2253 (BouncyCastle's
    // string parser keeps the written order in the encoding, which reverses it).
    private static X500Name x500(String name) {
        return X500Name.getInstance(new javax.security.auth.x500.X500Principal(name).getEncoded());
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date notAfter() {
        return Date.from(Instant.now().plus(Duration.ofDays(1)));
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9]+", "_");
    }
}
