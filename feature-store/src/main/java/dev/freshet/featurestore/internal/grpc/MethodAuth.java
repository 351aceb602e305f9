package dev.freshet.featurestore.internal.grpc;

import java.util.Set;

import dev.freshet.contracts.CallerAuthInterceptor;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Per method: the reads (list, describe, online features) through as {@code featurestore.read.auth} says, every
 * other method, {@code ApplyFeatureViews} and any added later, behind the caller authentication. A method is open
 * only by being named here, so a new one is never open by omission. Immutable; thread-safe.
 */
final class MethodAuth implements ServerInterceptor {
    private static final Set<String> READS = Set.of(
        FeatureStoreServiceGrpc.getListFeatureViewsMethod().getFullMethodName(),
        FeatureStoreServiceGrpc.getDescribeFeatureViewMethod().getFullMethodName(),
        FeatureStoreServiceGrpc.getGetOnlineFeaturesMethod().getFullMethodName());

    private final CallerAuthInterceptor auth;
    private final boolean readsOpen;

    MethodAuth(CallerAuthInterceptor auth, boolean readsOpen) {
        this.auth = auth;
        this.readsOpen = readsOpen;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (readsOpen && READS.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        return auth.interceptCall(call, headers, next);
    }
}
