package dev.freshet.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether every stage of one component still runs: each Streams application, worker thread and server of the
 * component reports here when it stops for good, and the component's health, the launcher's supervision and
 * {@code freshet run}'s exit code all read the same record.
 *
 * <p>Only the first stop is kept and logged, once, at ERROR: the stages that stop after it usually stop because of
 * it. A stage that is closed on purpose (the component is shutting down) reports nothing. Thread-safe.
 */
public final class Liveness {
    private static final Logger log = LoggerFactory.getLogger(Liveness.class);

    /** The stage that stopped first and why, in words an operator can act on. */
    public record Stopped(String component, String stage, String reason) {
        @Override
        public String toString() {
            return component + ": " + stage + " stopped: " + reason;
        }
    }

    private final String component;
    private final AtomicReference<Stopped> firstStop = new AtomicReference<>();
    private final List<Consumer<Stopped>> listeners = new ArrayList<>();

    /** @param component the component's CLI name, e.g. {@code feature-store} */
    public Liveness(String component) {
        this.component = component;
    }

    /**
     * Records that a stage stopped for good. The first call logs the reason and tells the listeners; later calls
     * are ignored.
     */
    public void stopped(String stage, String reason) {
        Stopped stop = new Stopped(component, stage, reason);
        if (!firstStop.compareAndSet(null, stop)) {
            return;
        }
        log.error("{}", stop);
        List<Consumer<Stopped>> toTell;
        synchronized (listeners) {
            toTell = List.copyOf(listeners);
            listeners.clear();
        }
        toTell.forEach(listener -> listener.accept(stop));
    }

    /** Empty while every stage runs; otherwise the first stage that stopped. */
    public Optional<Stopped> stopped() {
        return Optional.ofNullable(firstStop.get());
    }

    public boolean alive() {
        return firstStop.get() == null;
    }

    /**
     * Calls {@code listener} once when the first stage stops (at once, on this thread, if one already has), e.g. to
     * turn health to NOT_SERVING.
     */
    public void onStop(Consumer<Stopped> listener) {
        synchronized (listeners) {
            if (firstStop.get() == null) {
                listeners.add(listener);
                return;
            }
        }
        listener.accept(firstStop.get());
    }
}
