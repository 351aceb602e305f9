package dev.freshet.serving.internal;

import java.util.Optional;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Lets an admin call through only with {@code authorization: Bearer <token>} naming a configured token, and
 * makes the token's identity available to the handler as {@link #IDENTITY}. Installed on the admin service only.
 */
final class AdminAuthInterceptor implements ServerInterceptor {
    static final Context.Key<String> IDENTITY = Context.key("freshet-admin-identity");
    static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "bearer ";

    private final AdminTokens tokens;

    AdminAuthInterceptor(AdminTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (!tokens.enabled()) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("admin calls are disabled on this serving "
                + "instance: set serving.admin.token (or serving.admin.token.file) and restart it."));
        }
        String header = headers.get(AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("admin calls need the header "
                + "'authorization: Bearer <token>' with a token from serving.admin.token or serving.admin.token.file "
                + "(freshet serving ... --token TOKEN)."));
        }
        Optional<String> identity = tokens.identify(header.substring(BEARER.length()).strip());
        if (identity.isEmpty()) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("the bearer token is not one this serving "
                + "instance accepts; check it against serving.admin.token or serving.admin.token.file."));
        }
        return Contexts.interceptCall(Context.current().withValue(IDENTITY, identity.get()), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
