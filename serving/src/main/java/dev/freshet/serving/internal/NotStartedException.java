package dev.freshet.serving.internal;

import dev.freshet.serving.ServingException;

/** The server has not finished starting; the caller should retry shortly or elsewhere. Maps to UNAVAILABLE. */
final class NotStartedException extends ServingException {
    private static final long serialVersionUID = 1L;

    NotStartedException(String message) {
        super(message);
    }
}
