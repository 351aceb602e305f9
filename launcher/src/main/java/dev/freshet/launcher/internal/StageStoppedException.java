package dev.freshet.launcher.internal;

import dev.freshet.contracts.Liveness;

/**
 * A stage of a component running in this process stopped for good, so the command cannot go on; the components
 * have been closed. {@code freshet} prints the stop on one line and exits with code 1.
 */
public final class StageStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Liveness.Stopped stop;

    public StageStoppedException(Liveness.Stopped stop) {
        super(stop.toString());
        this.stop = stop;
    }

    /** The first stage that stopped, and why. */
    public Liveness.Stopped stop() {
        return stop;
    }
}
