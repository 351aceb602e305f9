package dev.freshet.featurestore;

import java.util.List;

/**
 * A feature view was refused at registration. Each problem names the offending field path and the reason,
 * e.g. {@code aggregations[1].window: '10x' is not a duration; use e.g. 30s, 10m, 1h}.
 */
public final class InvalidFeatureViewException extends FeatureStoreException {
    private final List<String> problems;

    /**
     * @param source where the view came from (a file path), or null when it was given as text
     * @param problems one entry per problem, each {@code "<path>: <reason>"}; at least one
     */
    public InvalidFeatureViewException(String source, List<String> problems) {
        super(message(source, problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, each {@code "<path>: <reason>"}, in document order. Never empty. */
    public List<String> problems() {
        return problems;
    }

    private static String message(String source, List<String> problems) {
        String body = problems.size() == 1
            ? problems.get(0)
            : problems.size() + " problems: " + String.join("; ", problems);
        return source == null ? body : "Feature view " + source + " is invalid: " + body;
    }
}
