package dev.freshet.contracts;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration syntax of every Freshet definition file (feature views, model specs, policy files) and of
 * {@code freshet replay}: a whole number followed by a unit, {@code ms}, {@code s}, {@code m}, {@code h} or
 * {@code d}, e.g. {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1d}. Units are lower case only, so
 * that {@code 1M} is never read as a minute when a month was meant. Values are bounded by {@link #MAX}, so that
 * no window or interval computed from one can overflow a millisecond timestamp.
 */
public final class Durations {
    /** The longest duration accepted: ten years, more than any window, interval or cooldown needs. */
    public static final Duration MAX = Duration.ofDays(3650);

    /** The accepted forms, for messages: "use a whole number and a unit ...". */
    public static final String FORMS = "use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d";

    // At most 18 digits, so that the amount always fits a long before it is checked against MAX.
    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * Parses a duration such as {@code 30s}; surrounding white space is ignored.
     *
     * @param text the duration; not null
     * @return the duration, zero or positive and at most {@link #MAX}
     * @throws IllegalArgumentException when {@code text} is not a duration or is longer than {@link #MAX}; the
     *     message quotes the text and says what is accepted, e.g. {@code '10x' is not a duration; use a whole
     *     number and a unit: ...}
     */
    public static Duration parse(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; " + FORMS);
        }
        long amount = Long.parseLong(m.group(1));
        long max = switch (m.group(2)) {
            case "ms" -> MAX.toMillis();
            case "s" -> MAX.toSeconds();
            case "m" -> MAX.toMinutes();
            case "h" -> MAX.toHours();
            default -> MAX.toDays();
        };
        if (amount > max) {
            throw new IllegalArgumentException("'" + text + "' is longer than " + max + m.group(2) + " (ten years), "
                + "the longest duration accepted");
        }
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }
}
