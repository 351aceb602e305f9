package dev.freshet.contracts;

import java.util.ArrayList;
import java.util.List;

/**
 * The problems found in one definition, each at the field path it concerns, in the order found. A reader adds
 * every problem it finds and goes on, so that the user fixes a file in one round rather than one error at a time.
 * Not thread-safe: one reader fills it.
 */
public final class DefinitionProblems {
    /** The path of a problem with the document as a whole. */
    public static final String DOCUMENT = "(document)";

    private record Problem(String path, String reason) {
    }

    private final List<Problem> problems = new ArrayList<>();

    /**
     * Records a problem.
     *
     * @param path where, e.g. {@code views[0].fields[2].type}; empty for the document as a whole
     * @param reason what is wrong and what would be accepted, e.g. {@code 'text' is not one of number, string}
     */
    public void add(String path, String reason) {
        problems.add(new Problem(path, reason));
    }

    /** Records each of {@code other}'s problems under {@code prefix} (e.g. {@code views[1]}). */
    public void addAll(String prefix, DefinitionProblems other) {
        other.problems.forEach(p -> problems.add(new Problem(DefinitionReader.child(prefix, p.path()), p.reason())));
    }

    /** True when nothing is wrong. */
    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /** How many problems were found. */
    public int size() {
        return problems.size();
    }

    /** Each problem as {@code "<path>: <reason>"}, in the order found; immutable. */
    public List<String> list() {
        return problems.stream().map(p -> (p.path().isEmpty() ? DOCUMENT : p.path()) + ": " + p.reason()).toList();
    }
}
