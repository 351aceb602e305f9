package dev.freshet.serving.internal;

import dev.freshet.serving.ServingException;

/** The server is shutting down; the caller should retry on another instance. Maps to UNAVAILABLE. */
final class ShuttingDownException extends ServingException {
    private static final long serialVersionUID = 1L;

    ShuttingDownException(String message) {
        super(message);
    }
}
