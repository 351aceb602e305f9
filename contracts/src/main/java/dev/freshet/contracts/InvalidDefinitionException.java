package dev.freshet.contracts;

import java.util.List;

import org.apache.kafka.common.config.ConfigException;

/**
 * A definition (a feature view, a model spec, a policy file) was refused. It carries every problem found, each
 * {@code "<path>: <reason>"} (e.g. {@code views[0].aggregations[2].window: '10x' is not a duration; ...}), and its
 * message lists them all.
 *
 * <p>It is a {@link ConfigException} because a definition is configuration the user wrote: every entry point that
 * stops on a bad key (exit code 2, the message and no stack trace) stops on a bad definition alike. Modules may
 * subclass it to give the refusal their own name in their public API.
 */
public class InvalidDefinitionException extends ConfigException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /**
     * @param kind what was refused, capitalised, e.g. {@code "Model spec"}
     * @param source where the definition came from (e.g. a file path), or null when it was given as text: the
     *     message is then the problems alone
     * @param problems one entry per problem, each {@code "<path>: <reason>"}; at least one
     * @throws IllegalArgumentException if {@code problems} is empty
     */
    public InvalidDefinitionException(String kind, String source, List<String> problems) {
        super(message(kind, source, problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, each {@code "<path>: <reason>"}, in document order. Never empty. */
    public List<String> problems() {
        return problems;
    }

    private static String message(String kind, String source, List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("An invalid definition needs at least one problem");
        }
        String body = problems.size() == 1
            ? problems.get(0)
            : problems.size() + " problems: " + String.join("; ", problems);
        return source == null ? body : kind + " " + source + " is invalid: " + body;
    }
}
