package dev.freshet.featurestore.internal.streams;

/** Topic names and the application id under one {@code topics.prefix}, as the contract fixes them. */
public record Topics(String prefix) {
    public String events() {
        return prefix + "events";
    }

    public String labels() {
        return prefix + "labels";
    }

    public String deadLetter() {
        return prefix + "dead-letter";
    }

    public String features() {
        return prefix + "features";
    }

    public String predictions() {
        return prefix + "predictions";
    }

    public String trainingExamples() {
        return prefix + "training-examples";
    }

    public String applicationId() {
        return prefix + "feature-store";
    }
}
