package dev.freshet.launcher.internal;

/** The launcher cannot go on; the message says what to fix. */
public final class LauncherException extends RuntimeException {
    public LauncherException(String message, Throwable cause) {
        super(message, cause);
    }

    public LauncherException(String message) {
        super(message);
    }
}
