package dev.freshet.serving.internal;

import dev.freshet.contracts.StatusMapping;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import io.grpc.Status;

/**
 * Serving's exceptions as the statuses callers act on, and every Predict call's outcome counted. The mapping
 * itself is the kit's {@link StatusMapping}, the one interceptor every Freshet server uses.
 */
final class ServingStatusMapping {
    private static final StatusMapping MAPPING = StatusMapping.of(ServingStatusMapping::known, "the server failed "
        + "to score this request; it has been logged, retry or report it to the operator.");

    private ServingStatusMapping() {
    }

    /** The interceptor of the PredictionService: maps, and counts every call's outcome. */
    static StatusMapping create(Counters counters, ServingMetrics metrics) {
        return MAPPING.observedBy((method, code) -> {
            counters.callClosed(code);
            metrics.callEnded(method, code);
        });
    }

    /** The status a PredictStream ends with when the server ends it (the call's close is counted as usual). */
    static Status streamEnd(RuntimeException why) {
        return MAPPING.toStatus(PredictionServiceGrpc.getPredictStreamMethod().getFullMethodName(), why);
    }

    /** The status for one of serving's own exceptions, null for any other. */
    static Status known(RuntimeException e) {
        if (e instanceof InvalidRequestException) {
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        }
        if (e instanceof ModelNotReadyException) {
            return Status.FAILED_PRECONDITION.withDescription(e.getMessage());
        }
        if (e instanceof ShuttingDownException || e instanceof NotStartedException
            || e instanceof PredictionLogUnavailableException) {
            return Status.UNAVAILABLE.withDescription(e.getMessage());
        }
        return null;
    }
}
