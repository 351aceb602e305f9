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

    /**
     * The key of an entity's feature vector (and of its tombstone) in the features topic: {@code <view>/<entity id>},
     * because several views may hold features of the same entity. View names cannot contain '/', so the first '/'
     * ends the view's name.
     */
    public static String featureKey(String view, String entityId) {
        return view + "/" + entityId;
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
