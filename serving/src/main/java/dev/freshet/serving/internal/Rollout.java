package dev.freshet.serving.internal;

import java.util.Locale;
import java.util.OptionalLong;

/**
 * Which versions serve, given the registry's lineage, the rollout mode and the operators' pin and promotion.
 * A pure function of its inputs, so every serving instance that has read the same topics chooses the same.
 */
final class Rollout {
    /** How a version newer than the champion is used ({@code serving.rollout.mode}). */
    enum Mode {
        /** The newest servable version is the champion; there is no challenger. */
        NONE,
        /** The challenger answers a share of entities. */
        CHALLENGER,
        /** The challenger scores every request in the background; the champion answers. */
        SHADOW;

        static Mode parse(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }

        String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The chosen versions; 0 means none. */
    record Choice(long champion, long challenger) {
        static final Choice NOTHING = new Choice(0, 0);
    }

    private Rollout() {
    }

    /**
     * @param pinned   the version an operator froze the champion at, 0 when not pinned
     * @param promoted the version last promoted, 0 when none
     */
    static Choice choose(ServingLineage lineage, Mode mode, long pinned, long promoted) {
        OptionalLong newest = lineage.newestServable();
        if (newest.isEmpty()) {
            return Choice.NOTHING;
        }
        if (pinned > 0 && lineage.servable(pinned)) {
            return new Choice(pinned, 0);
        }
        if (mode == Mode.NONE) {
            return new Choice(newest.getAsLong(), 0);
        }
        // The champion changes only by promotion; when its promoted version is barred, fall back to the newest
        // servable version before it; before any promotion, the oldest servable version is the champion.
        OptionalLong champion = promoted > 0 ? lineage.newestServableAtMost(promoted) : lineage.oldestServable();
        long chosen = champion.orElse(newest.getAsLong());
        long challenger = newest.getAsLong() > chosen ? newest.getAsLong() : 0;
        return new Choice(chosen, challenger);
    }
}
