package dev.freshet.serving.internal;

import dev.freshet.serving.ServingException;

/** The request is malformed; the message tells the caller what to fix. Maps to INVALID_ARGUMENT. */
final class InvalidRequestException extends ServingException {
    private static final long serialVersionUID = 1L;

    InvalidRequestException(String message) {
        super(message);
    }
}
