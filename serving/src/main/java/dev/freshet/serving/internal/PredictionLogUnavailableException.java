package dev.freshet.serving.internal;

import dev.freshet.serving.ServingException;

/** A prediction could not be written to the prediction log in acked mode, so it is not answered; the caller should retry. Maps to UNAVAILABLE. */
final class PredictionLogUnavailableException extends ServingException {
    private static final long serialVersionUID = 1L;

    PredictionLogUnavailableException(String message) {
        super(message);
    }
}
