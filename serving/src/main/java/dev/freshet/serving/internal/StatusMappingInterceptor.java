package dev.freshet.serving.internal;

import com.google.protobuf.InvalidProtocolBufferException;
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
    private final ServingMetrics metrics;

    StatusMappingInterceptor(Counters counters, ServingMetrics metrics) {
        this.counters = counters;
        this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String bareMethod = call.getMethodDescriptor().getBareMethodName();
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                counters.callClosed(status.getCode());
                metrics.callEnded(bareMethod, status.getCode());
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(counted, headers);
        String method = call.getMethodDescriptor().getFullMethodName();
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            // Set once this interceptor has closed the call; grpc-java delivers a call's callbacks one at a time.
            // The handler must not see the rest of a call it was cut off from: a unary handler would try to close
            // it again on half-close.
            private boolean failed;

            private void fail(RuntimeException e) {
                failed = true;
                closeWith(counted, e);
            }

            @Override
            public void onMessage(Q message) {
                if (failed) {
                    return;
                }
                try {
                    super.onMessage(message);
                } catch (StatusRuntimeException e) {
                    // The request bytes are parsed here (the service takes raw messages) so that garbage
                    // is the caller's error, not the INTERNAL that grpc-java reports for it.
                    fail(e.getCause() instanceof InvalidProtocolBufferException
                        ? new InvalidRequestException(String.format("the request is not a valid protobuf message "
                            + "for %s (%s); build it from the freshet.serving.v1 protos.", method,
                            e.getCause().getMessage()))
                        : e);
                } catch (RuntimeException e) {
                    fail(e);
                }
            }

            @Override
            public void onCancel() {
                // Deadlines and callers that leave end the call without close(): count them here.
                Context context = Context.current();
                boolean expired = context.getDeadline() != null && context.getDeadline().isExpired();
                Status.Code code = expired ? Status.Code.DEADLINE_EXCEEDED : Status.Code.CANCELLED;
                counters.callClosed(code);
                metrics.callEnded(bareMethod, code);
                super.onCancel();
            }

            @Override
            public void onHalfClose() {
                if (failed) {
                    return;
                }
                try {
                    super.onHalfClose();
                } catch (RuntimeException e) {
                    fail(e);
                }
            }
        };
    }

    private static void closeWith(ServerCall<?, ?> call, RuntimeException e) {
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
