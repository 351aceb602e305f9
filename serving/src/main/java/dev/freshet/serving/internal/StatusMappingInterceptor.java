package dev.freshet.serving.internal;

import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become gRPC statuses, chosen by what the caller can do next, and where every
 * call's outcome is counted. Descriptions carry the exception's message only: no stack traces, no paths.
 */
final class StatusMappingInterceptor implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger(StatusMappingInterceptor.class);

    private final Counters counters;

    StatusMappingInterceptor(Counters counters) {
        this.counters = counters;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                counters.callClosed(status.getCode());
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(counted, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                try {
                    super.onMessage(message);
                } catch (RuntimeException e) {
                    fail(counted, e);
                }
            }

            @Override
            public void onHalfClose() {
                try {
                    super.onHalfClose();
                } catch (RuntimeException e) {
                    fail(counted, e);
                }
            }
        };
    }

    private static void fail(ServerCall<?, ?> call, RuntimeException e) {
        if (Context.current().isCancelled()) {
            return; // the call is already over (deadline or caller gone); there is nobody to tell
        }
        call.close(toStatus(e), new Metadata());
    }

    static Status toStatus(RuntimeException e) {
        if (e instanceof InvalidRequestException) {
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        }
        if (e instanceof ModelNotReadyException) {
            return Status.FAILED_PRECONDITION.withDescription(e.getMessage());
        }
        if (e instanceof ShuttingDownException) {
            return Status.UNAVAILABLE.withDescription(e.getMessage());
        }
        if (e instanceof StatusRuntimeException sre) {
            return sre.getStatus();
        }
        log.error("A Predict call failed unexpectedly; the caller was told INTERNAL.", e);
        return Status.INTERNAL.withDescription("the server failed to score this request; it has been logged, "
            + "retry or report it to the operator.");
    }
}
