package dev.freshet.launcher.internal;

/**
 * A command started but could not finish its work (e.g. Kafka refused some of the records it sent); the message
 * says how much was done and what to check. {@code freshet} prints it on one line and exits with code 1.
 */
public final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
