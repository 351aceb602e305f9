package dev.freshet.embedded;

/** The embedded broker could not start; the message says why. */
public final class EmbeddedKafkaException extends RuntimeException {
    public EmbeddedKafkaException(String message, Throwable cause) {
        super(message, cause);
    }
}
