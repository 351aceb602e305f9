package dev.freshet.monitor.internal;

import java.util.function.DoublePredicate;

/**
 * The monitor's error-stream change detectors with the monitor's defaults, reached from outside the monitor only
 * through {@link dev.freshet.monitor.testing.ChangeDetectors} in the monitor's test jar. Not an API: it may change
 * with the monitor.
 */
public final class ErrorStreamDetectors {
    private ErrorStreamDetectors() {
    }

    /**
     * A fresh detector with the monitor's defaults, as a predicate: feed it 1 for an error and 0 for a right
     * prediction; it answers true when it raises an alarm.
     *
     * @param detector "page-hinkley" or "adwin"
     */
    public static DoublePredicate create(String detector) {
        ChangeDetector d = ChangeDetector.create(MonitorSettings.ChangePolicy.defaults(detector));
        if (d == null) {
            throw new IllegalArgumentException("No detector named '" + detector + "'; expected page-hinkley or adwin");
        }
        return d::add;
    }
}
