package dev.freshet.contracts;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

import io.grpc.Grpc;
import io.grpc.ServerCall;

/**
 * The client certificate of a gRPC call. A certificate seen here was verified against the server's client CA
 * during the TLS handshake (an unverifiable one fails the handshake).
 */
public final class ClientCertificates {
    private ClientCertificates() {
    }

    /** The subject of the call's verified client certificate; empty on plaintext or without a certificate. */
    public static Optional<X500Principal> subject(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate certificate) {
                return Optional.of(certificate.getSubjectX500Principal());
            }
        } catch (SSLPeerUnverifiedException e) {
            // the client presented no certificate
        }
        return Optional.empty();
    }

    /** How a subject is shown to operators and recorded as the principal of a change (RFC 2253). */
    public static String describe(X500Principal subject) {
        return subject.getName(X500Principal.RFC2253);
    }
}
