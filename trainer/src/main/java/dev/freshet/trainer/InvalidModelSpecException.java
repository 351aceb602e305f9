package dev.freshet.trainer;

import java.util.List;

/**
 * The model spec ({@code trainer.spec.file}) was refused at start. Each problem names the offending field path and
 * the reason, e.g. {@code optimiser.learning_rate: -0.1 is out of range; expected a number from 1.0E-9 to 100.0}.
 */
public final class InvalidModelSpecException extends TrainerException {
    private final List<String> problems;

    /**
     * @param source where the spec came from (a file path)
     * @param problems one entry per problem, each {@code "<path>: <reason>"}; at least one
     */
    public InvalidModelSpecException(String source, List<String> problems) {
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
        return "Model spec " + source + " is invalid: " + body;
    }
}
