package dev.freshet.trainer;

import java.util.List;

import dev.freshet.contracts.InvalidDefinitionException;

/**
 * The model spec ({@code trainer.spec.file}) was refused at start. Each problem names the offending field path and
 * the reason, e.g. {@code optimiser.learning_rate: -0.1 is not accepted; expected unset, or [1.0E-9,...,100.0]}.
 *
 * <p>It is the platform's {@link InvalidDefinitionException} (a definition refused, with every problem), under the
 * trainer's name: every entry point refuses it alike, with the problems and exit code 2, while callers of the
 * trainer catch it by this name.
 */
public final class InvalidModelSpecException extends InvalidDefinitionException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source where the spec came from (a file path)
     * @param problems one entry per problem, each {@code "<path>: <reason>"}; at least one
     */
    public InvalidModelSpecException(String source, List<String> problems) {
        super("Model spec", source, problems);
    }
}
