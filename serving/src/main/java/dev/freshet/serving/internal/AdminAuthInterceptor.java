package dev.freshet.serving.internal;

import java.util.Optional;
import javax.security.auth.x500.X500Principal;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Lets an admin call through with either {@code authorization: Bearer <token>} naming a configured token, or a
 * verified client certificate whose subject is in {@code serving.admin.allowed.subjects}, and makes the caller's
 * identity (the token's name, or the certificate's subject) available to the handler as {@link #IDENTITY}, so
 * that every change is recorded under it. A token, when sent, is what counts. Installed on the admin service only.
 */
final class AdminAuthInterceptor implements ServerInterceptor {
    static final Context.Key<String> IDENTITY = Context.key("freshet-admin-identity");
    static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "bearer ";

    private final AdminTokens tokens;
    private final TlsSettings tls;

    AdminAuthInterceptor(AdminTokens tokens, TlsSettings tls) {
        this.tokens = tokens;
        this.tls = tls;
    }

    /** Whether any caller could be admitted: a token or a certificate subject is configured. */
    static boolean enabled(AdminTokens tokens, TlsSettings tls) {
        return tokens.enabled() || tls.anySubjectAllowed();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (!enabled(tokens, tls)) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("admin calls are disabled on this serving "
                + "instance: set serving.admin.token (or serving.admin.token.file, or serving.admin.allowed.subjects "
                + "for client certificates) and restart it."));
        }
        String header = headers.get(AUTHORIZATION);
        if (header != null) {
            if (!tokens.enabled() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                return refuse(call, Status.UNAUTHENTICATED.withDescription("the authorization header is not a "
                    + "bearer token this instance accepts" + (tokens.enabled() ? " ('authorization: Bearer <token>', "
                    + "a token from serving.admin.token or serving.admin.token.file)" : " (it has no admin tokens "
                    + "configured; call with an allowed client certificate and no token)") + "."));
            }
            Optional<String> identity = tokens.identify(header.substring(BEARER.length()).strip());
            if (identity.isEmpty()) {
                return refuse(call, Status.UNAUTHENTICATED.withDescription("the bearer token is not one this "
                    + "serving instance accepts; check it against serving.admin.token or serving.admin.token.file."));
            }
            return admit(identity.get(), call, headers, next);
        }
        Optional<X500Principal> subject = ClientCertificates.subject(call);
        if (subject.isPresent() && tls.anySubjectAllowed()) {
            String name = ClientCertificates.describe(subject.get());
            if (!tls.subjectAllowed(subject.get())) {
                return refuse(call, Status.PERMISSION_DENIED.withDescription(String.format("the client certificate "
                    + "'%s' is not allowed to make admin calls: add its subject to serving.admin.allowed.subjects "
                    + "(and restart), or call with a bearer token.", name)));
            }
            return admit(name, call, headers, next);
        }
        return refuse(call, Status.UNAUTHENTICATED.withDescription("admin calls need " + accepted() + "."));
    }

    private String accepted() {
        String token = "the header 'authorization: Bearer <token>' with a token from serving.admin.token or "
            + "serving.admin.token.file (freshet serving ... --token TOKEN)";
        String certificate = "a client certificate signed by the CA in serving.tls.client.ca.file whose subject is "
            + "in serving.admin.allowed.subjects, over TLS (freshet serving ... --cert-file CERT --key-file KEY)";
        if (tokens.enabled() && tls.anySubjectAllowed()) {
            return token + ", or " + certificate;
        }
        return tokens.enabled() ? token : certificate;
    }

    private static <Q, R> ServerCall.Listener<Q> admit(String identity, ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(IDENTITY, identity), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
