package dev.freshet.serving.internal;

/** The {@link KafkaParts} once they are open, for handlers that may be called before. Thread-safe. */
final class OpenedParts {
    private volatile KafkaParts parts;

    void opened(KafkaParts opened) {
        parts = opened;
    }

    boolean isOpen() {
        return parts != null;
    }

    /**
     * The open parts.
     *
     * @throws NotStartedException while they are still opening
     */
    KafkaParts get() {
        KafkaParts now = parts;
        if (now == null) {
            throw new NotStartedException("this serving instance is still starting (connecting to Kafka); retry "
                + "shortly, or on another instance.");
        }
        return now;
    }

    /** What is served now; nothing while the parts are still opening. */
    ModelWatcher.Serving serving() {
        KafkaParts now = parts;
        return now == null ? ModelWatcher.Serving.NONE : now.models().serving();
    }
}
