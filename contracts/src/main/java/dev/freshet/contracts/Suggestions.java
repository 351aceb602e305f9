package dev.freshet.contracts;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * The nearest known name to a misspelt one, for messages such as "unknown key 'serving.prot'; did you mean
 * 'serving.port'?". Every place that refuses an unknown key or field asks here, so they all suggest alike.
 */
public final class Suggestions {
    private Suggestions() {
    }

    /**
     * The known name closest to {@code given} by edit distance (case-insensitive), when it is close enough to be a
     * plausible typo: at most a third of the longer name's characters, and at least one, differ. Ties go to the
     * name that comes first in {@code known}'s iteration order.
     *
     * @param given the name that was not recognised; not null
     * @param known the names that would have been accepted; not null, may be empty
     */
    public static Optional<String> nearest(String given, Collection<String> known) {
        String needle = given.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(needle, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        int allowed = Math.max(1, Math.max(needle.length(), best.length()) / 3);
        return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /**
     * " (did you mean 'x'?)" when a near name exists, else "": appended to an "unknown ..." sentence so that the
     * message reads the same wherever a name is refused.
     */
    public static String didYouMean(String given, Collection<String> known) {
        return nearest(given, known).map(name -> "; did you mean '" + name + "'?").orElse("");
    }

    /** Levenshtein distance with adjacent transpositions counted as one edit (the usual typo). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    best = Math.min(best, d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        return d[a.length()][b.length()];
    }
}
