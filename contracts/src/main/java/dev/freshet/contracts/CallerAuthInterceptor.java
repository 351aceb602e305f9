package dev.freshet.contracts;

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
 * Lets an admin call through with either {@code authorization: Bearer <token>} naming one of the
 * {@link BearerTokens}, or a verified client certificate whose subject {@link GrpcTls#subjectAllowed is allowed},
 * and makes the caller's principal (the token's, or the certificate's subject) available to the handler as
 * {@link #PRINCIPAL}, so that every change is recorded under it. A token, when sent, is what counts. Every refusal
 * says which key or credential would be accepted. Install it on the services that change what the platform
 * computes or serves. Thread-safe.
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
    /** The authenticated principal of the current call; set for every call this interceptor admits. */
    public static final Context.Key<String> PRINCIPAL = Context.key("freshet-principal");
    /** The header a bearer token travels in. */
    public static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "bearer ";

    private final BearerTokens tokens;
    private final GrpcTls tls;
    private final GrpcSecurityKeys keys;

    /** @param keys the keys that refusals name */
    public CallerAuthInterceptor(BearerTokens tokens, GrpcTls tls, GrpcSecurityKeys keys) {
        this.tokens = tokens;
        this.tls = tls;
        this.keys = keys;
    }

    /** Whether any caller could be admitted: a token or a certificate subject is configured. */
    public boolean enabled() {
        return tokens.enabled() || tls.anySubjectAllowed();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (!enabled()) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription(String.format("admin calls are disabled on "
                + "this %s: set %s (or %s, or %s for client certificates) and restart it.", keys.component(),
                keys.tokenKey(), keys.tokenFileKey(), keys.allowedSubjectsKey())));
        }
        String header = headers.get(AUTHORIZATION);
        if (header != null) {
            if (!tokens.enabled() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                return refuse(call, Status.UNAUTHENTICATED.withDescription("the authorization header is not a "
                    + "bearer token this instance accepts" + (tokens.enabled() ? String.format(" ('authorization: "
                    + "Bearer <token>', a token from %s or %s)", keys.tokenKey(), keys.tokenFileKey())
                    : " (it has no admin tokens configured; call with an allowed client certificate and no token)")
                    + "."));
            }
            Optional<String> principal = tokens.identify(header.substring(BEARER.length()).strip());
            if (principal.isEmpty()) {
                return refuse(call, Status.UNAUTHENTICATED.withDescription(String.format("the bearer token is not "
                    + "one this %s accepts; check it against %s or %s.", keys.component(), keys.tokenKey(),
                    keys.tokenFileKey())));
            }
            return admit(principal.get(), call, headers, next);
        }
        Optional<X500Principal> subject = ClientCertificates.subject(call);
        if (subject.isPresent() && tls.anySubjectAllowed()) {
            String name = ClientCertificates.describe(subject.get());
            if (!tls.subjectAllowed(subject.get())) {
                return refuse(call, Status.PERMISSION_DENIED.withDescription(String.format("the client certificate "
                    + "'%s' is not allowed to make admin calls: add its subject to %s (and restart), or call with a "
                    + "bearer token.", name, keys.allowedSubjectsKey())));
            }
            return admit(name, call, headers, next);
        }
        return refuse(call, Status.UNAUTHENTICATED.withDescription("admin calls need " + accepted() + "."));
    }

    private String accepted() {
        String token = String.format("the header 'authorization: Bearer <token>' with a token from %s or %s (%s "
            + "--token TOKEN)", keys.tokenKey(), keys.tokenFileKey(), keys.command());
        String certificate = String.format("a client certificate signed by the CA in %s whose subject is in %s, "
            + "over TLS (%s --cert-file CERT --key-file KEY)", keys.clientCaFile(), keys.allowedSubjectsKey(),
            keys.command());
        if (tokens.enabled() && tls.anySubjectAllowed()) {
            return token + ", or " + certificate;
        }
        return tokens.enabled() ? token : certificate;
    }

    private static <Q, R> ServerCall.Listener<Q> admit(String principal, ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(PRINCIPAL, principal), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
