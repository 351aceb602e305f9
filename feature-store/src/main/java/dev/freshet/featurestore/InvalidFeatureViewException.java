package dev.freshet.featurestore;

import java.util.List;

import dev.freshet.contracts.InvalidDefinitionException;

/**
 * A feature view was refused at registration. Each problem names the offending field path and the reason, e.g.
 * {@code aggregations[1].window: '10x' is not a duration; use a whole number and a unit: ms, s, m, h or d (...)}.
 *
 * <p>It is the platform's {@link InvalidDefinitionException} (a definition refused, with every problem), under the
 * feature store's name: every entry point refuses it alike, with the problems and exit code 2, while callers of
 * the feature store catch it by this name.
 */
public final class InvalidFeatureViewException extends InvalidDefinitionException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source where the view came from (a file path), or null when it was given as text
     * @param problems one entry per problem, each {@code "<path>: <reason>"}; at least one
     */
    public InvalidFeatureViewException(String source, List<String> problems) {
        super("Feature view", source, problems);
    }
}
