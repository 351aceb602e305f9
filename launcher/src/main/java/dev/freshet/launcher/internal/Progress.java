package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.util.Locale;

import dev.freshet.monitor.MonitorReport;

/** The demo's progress line, printed every few seconds while events flow. */
final class Progress {
    private final PrintStream out;
    private final Platform platform;
    private final DemoTraffic traffic;
    private final TopicTally tally;
    private long lastEvents;
    private long lastSeconds;

    Progress(PrintStream out, Platform platform, DemoTraffic traffic, TopicTally tally) {
        this.out = out;
        this.platform = platform;
        this.traffic = traffic;
        this.tally = tally;
        // Rates count from here: events sent before (the history) are not part of the first line's rate.
        this.lastEvents = traffic.eventsProduced();
    }

    void print(long elapsedSeconds) {
        long events = traffic.eventsProduced();
        long interval = Math.max(1, elapsedSeconds - lastSeconds);
        double rate = (double) (events - lastEvents) / interval;
        lastEvents = events;
        lastSeconds = elapsedSeconds;
        MonitorReport.RollingAccuracy rolling = platform.monitor().report().rollingAccuracy();
        long serving = platform.scoringServer().stats().currentModelVersion();
        out.printf(Locale.ROOT,
            "  [%3ds] %6d events (%4.0f/s), %3d dead-lettered | %5d predictions | serving %s | rolling accuracy %s over %d labelled%n",
            elapsedSeconds, events, rate, tally.deadLettered(), traffic.predictionsServed(),
            serving == 0 ? "no model yet" : "v" + serving,
            rolling.accuracy() == null ? "n/a" : String.format(Locale.ROOT, "%.3f", rolling.accuracy()),
            rolling.examples());
    }
}
