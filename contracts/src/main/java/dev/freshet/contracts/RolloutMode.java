package dev.freshet.contracts;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How serving uses a version newer than its champion ({@code serving.rollout.mode}); an input of
 * {@link ServingRule#decide}.
 */
public enum RolloutMode {
    /** The newest servable version is the champion; there is no challenger. Serving's default. */
    NONE,
    /** The champion changes only by promotion or pin; the newest servable version answers a share of entities. */
    CHALLENGER,
    /** As {@link #CHALLENGER}, but the challenger scores every request in the background and the champion answers. */
    SHADOW;

    /**
     * The mode named {@code text}, in any case ({@code none}, {@code challenger}, {@code shadow}).
     *
     * @throws IllegalArgumentException naming the text and the accepted names, when it names no mode
     */
    public static RolloutMode parse(String text) {
        for (RolloutMode mode : values()) {
            if (mode.name().equalsIgnoreCase(text.strip())) {
                return mode;
            }
        }
        throw new IllegalArgumentException(String.format("'%s' is not a rollout mode; use one of %s", text,
            Arrays.stream(values()).map(RolloutMode::configName).collect(Collectors.joining(", "))));
    }

    /** The name as configured and printed: {@code none}, {@code challenger} or {@code shadow}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
