package dev.freshet.serving.internal;

import dev.freshet.serving.ServingException;

/** No version of the served model has loaded yet. Maps to FAILED_PRECONDITION. */
final class ModelNotReadyException extends ServingException {
    private static final long serialVersionUID = 1L;

    ModelNotReadyException(String message) {
        super(message);
    }
}
