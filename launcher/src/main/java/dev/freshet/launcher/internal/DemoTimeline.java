package dev.freshet.launcher.internal;

/** What the demo itself did to the loop, and when; the summary sets the platform's reactions beside it. */
final class DemoTimeline {
    /** The injected bad version and when it was published. */
    record Injection(long version, long publishedAtMs) {
    }

    volatile Injection badVersion;
    volatile long conceptDriftAtMs;
}
