package dev.freshet.monitor.internal;

/**
 * Watches a stream of values (here: 1 for a wrong prediction, 0 for a right one) for an abrupt rise of its mean.
 * Not thread-safe.
 */
interface ChangeDetector {
    /**
     * Adds the next value; true when it completes the evidence of a rise. Page-Hinkley then starts afresh; ADWIN
     * keeps the window after the change point.
     */
    boolean add(double value);

    /** Forgets everything, e.g. after a new model took over. */
    void reset();

    /** "PAGE_HINKLEY" or "ADWIN". */
    String name();

    /** What the last alarm saw; null before the first. */
    Alarm lastAlarm();

    /**
     * One alarm: the statistic and the threshold it crossed (Page-Hinkley: lambda; ADWIN: the cut's epsilon), and
     * the values before the change point and from it to the alarm, with their means.
     */
    record Alarm(double statistic, double threshold, long beforeCount, double beforeMean, long afterCount,
                 double afterMean) {
    }

    /** A detector from a policy's name and parameters; null for "none". */
    static ChangeDetector create(MonitorSettings.ChangePolicy policy) {
        return switch (policy.detector()) {
            case MonitorSettings.ChangePolicy.PAGE_HINKLEY ->
                new PageHinkley(policy.delta(), policy.lambda(), policy.minExamples());
            case MonitorSettings.ChangePolicy.ADWIN -> new Adwin(policy.delta(), policy.minExamples());
            default -> null;
        };
    }
}
