package dev.freshet.monitor.testing;

import java.util.function.DoublePredicate;

import dev.freshet.monitor.internal.ErrorStreamDetectors;

/**
 * The monitor's error-stream change detectors (Page-Hinkley, ADWIN) with the monitor's defaults, for evaluating them
 * outside the monitor: the bench module's {@code ChangeDetectionBench} compares them with MOA's. Shipped in the
 * monitor's test jar only, so that the monitor's public package stays what an operator touches; not an API, it
 * changes with the monitor.
 */
public final class ChangeDetectors {
    private ChangeDetectors() {
    }

    /**
     * A fresh detector as a predicate: feed it 1 for a wrong prediction and 0 for a right one; it answers true when
     * it raises an alarm. Not thread-safe.
     *
     * @param detector {@code page-hinkley} or {@code adwin}, as {@code monitor.change.detector} names them
     * @throws IllegalArgumentException for any other name
     */
    public static DoublePredicate create(String detector) {
        return ErrorStreamDetectors.create(detector);
    }
}
