package dev.freshet.serving.internal;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * The client certificate of a call, and the interceptor that refuses calls without one when
 * {@code serving.tls.client.auth=require}. A certificate seen here was verified against
 * {@code serving.tls.client.ca.file} during the TLS handshake (an unverifiable one fails the handshake).
 */
final class ClientCertificates {
    private ClientCertificates() {
    }

    /** The subject of the call's verified client certificate; empty on plaintext or without a certificate. */
    static Optional<X500Principal> subject(ServerCall<?, ?> call) {
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

    /** How a subject is shown to operators and recorded as a command's issuer. */
    static String describe(X500Principal subject) {
        return subject.getName(X500Principal.RFC2253);
    }

    /** Refuses every call without a verified client certificate with UNAUTHENTICATED. */
    static ServerInterceptor required() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                if (subject(call).isPresent()) {
                    return next.startCall(call, headers);
                }
                call.close(Status.UNAUTHENTICATED.withDescription("this server requires a client certificate "
                    + "signed by its client CA (serving.tls.client.auth=require); connect over TLS with one "
                    + "(freshet serving ... --cert-file CERT --key-file KEY, or your gRPC client's key manager)."),
                    new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
        };
    }
}
