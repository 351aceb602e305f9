package dev.freshet.trainer;

/** The trainer could not start or continue; the message says what to check. */
public class TrainerException extends RuntimeException {
    public TrainerException(String message) {
        super(message);
    }

    public TrainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
