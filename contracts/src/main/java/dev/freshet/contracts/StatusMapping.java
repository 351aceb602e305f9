package dev.freshet.contracts;

import java.util.Objects;
import java.util.function.Function;

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
 * The one place where a service's exceptions become gRPC statuses, chosen by what the caller can do next (without
 * it grpc-java sends any escaped exception as a bare UNKNOWN), and where every call's outcome can be observed.
 * A {@link StatusRuntimeException} keeps its status; one caused by bytes that do not parse becomes
 * INVALID_ARGUMENT; the component's own exceptions are mapped by its function; anything else is logged and
 * answered INTERNAL. Descriptions carry the exception's message only: no stack traces, no paths. Immutable;
 * thread-safe.
 */
public final class StatusMapping implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger(StatusMapping.class);

    /** Told how each call ended: closed with a status, or cancelled (deadline or caller gone). */
    @FunctionalInterface
    public interface CallObserver {
        /**
         * Called once per call, on a gRPC thread; must be fast and must not throw.
         *
         * @param method the bare method name, e.g. {@code Predict}
         * @param code   how it ended; DEADLINE_EXCEEDED or CANCELLED for calls that ended without a close
         */
        void callEnded(String method, Status.Code code);
    }

    private static final CallObserver IGNORE = (method, code) -> {
    };

    private final Function<? super RuntimeException, Status> known;
    private final String internalDescription;
    private final CallObserver observer;

    private StatusMapping(Function<? super RuntimeException, Status> known, String internalDescription,
                          CallObserver observer) {
        this.known = Objects.requireNonNull(known, "known");
        this.internalDescription = Objects.requireNonNull(internalDescription, "internalDescription");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * @param known               the status for each of the component's own exceptions, null for any other
     * @param internalDescription what a caller is told for an unexpected exception (it is logged in full here)
     */
    public static StatusMapping of(Function<? super RuntimeException, Status> known, String internalDescription) {
        return new StatusMapping(known, internalDescription, IGNORE);
    }

    /** The same mapping, telling {@code observer} how every call ended. */
    public StatusMapping observedBy(CallObserver observer) {
        return new StatusMapping(known, internalDescription, observer);
    }

    /** The status a caller gets for {@code e}. Logs an unexpected exception at ERROR. */
    public Status toStatus(String fullMethodName, RuntimeException e) {
        if (e instanceof StatusRuntimeException sre) {
            if (sre.getCause() instanceof InvalidProtocolBufferException parse) {
                // A service taking raw messages parses them inside the interceptors: garbage is the caller's error,
                // not the INTERNAL that grpc-java reports for it.
                return Status.INVALID_ARGUMENT.withDescription(String.format("the request is not a valid protobuf "
                    + "message for %s (%s); build it from the %s protos.", fullMethodName, parse.getMessage(),
                    protoPackage(fullMethodName)));
            }
            return sre.getStatus();
        }
        Status status = known.apply(e);
        if (status != null) {
            return status;
        }
        log.error("A call to {} failed unexpectedly; the caller was told INTERNAL.", fullMethodName, e);
        return Status.INTERNAL.withDescription(internalDescription);
    }

    private static String protoPackage(String fullMethodName) {
        String service = fullMethodName.substring(0, Math.max(0, fullMethodName.indexOf('/')));
        int dot = service.lastIndexOf('.');
        return dot < 0 ? "service's" : service.substring(0, dot);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String bareMethod = call.getMethodDescriptor().getBareMethodName();
        String method = call.getMethodDescriptor().getFullMethodName();
        ServerCall<Q, R> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                observer.callEnded(bareMethod, status.getCode());
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(observed, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            // Set once this interceptor has closed the call; grpc-java delivers a call's callbacks one at a time.
            // The handler must not see the rest of a call it was cut off from: a unary handler would try to close
            // it again on half-close.
            private boolean failed;

            private void fail(RuntimeException e) {
                failed = true;
                if (Context.current().isCancelled()) {
                    return; // the call is already over (deadline or caller gone); there is nobody to tell
                }
                observed.close(toStatus(method, e), new Metadata());
            }

            @Override
            public void onMessage(Q message) {
                if (failed) {
                    return;
                }
                try {
                    super.onMessage(message);
                } catch (RuntimeException e) {
                    fail(e);
                }
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

            @Override
            public void onCancel() {
                // Deadlines and callers that leave end the call without close(): observe them here.
                Context context = Context.current();
                boolean expired = context.getDeadline() != null && context.getDeadline().isExpired();
                observer.callEnded(bareMethod, expired ? Status.Code.DEADLINE_EXCEEDED : Status.Code.CANCELLED);
                super.onCancel();
            }
        };
    }
}
