package dev.freshet.serving;

/**
 * Thrown when the scoring server cannot start (a topic is missing, the state directory cannot be opened) and,
 * internally, for requests it cannot answer. The message says what happened and what to do next.
 */
public class ServingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ServingException(String message) {
        super(message);
    }

    public ServingException(String message, Throwable cause) {
        super(message, cause);
    }
}
