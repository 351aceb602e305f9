package dev.freshet.featurestore.internal.view;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.freshet.contracts.DefinitionProblems;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.FeatureView.Transform;
import dev.freshet.featurestore.FeatureView.WindowType;

/**
 * The cost bounds of a feature view, checked wherever a view is validated (a file, an apply over gRPC or
 * {@code freshet features apply}, the launcher before it starts anything, and each registered definition the store
 * is asked to run), so that no definition can make the store spend unbounded time per event or keep unbounded
 * state per entity. The limits are constants, the same on every instance and every tool, since a view refused by
 * one and run by another would be worse than either.
 * <ul>
 *   <li>{@link #MAX_WINDOWS_PER_EVENT}: each event updates every hopping window holding it, {@code size / advance}
 *       of them.</li>
 *   <li>{@link #MAX_WINDOWS_KEPT_PER_ENTITY}: a tumbling or hopping aggregation keeps the windows that closed less
 *       than a window length ago, up to {@code (2 * size + grace) / advance} of them; a session aggregation the
 *       sessions an event in time can still reach, up to {@code (2 * gap + grace) / gap}. The whole state of an
 *       entity is read and written at each of its events, and must fit one record of its changelog topic.</li>
 *   <li>{@link #MAX_DECLARED_VALUES}: a one-hot vocabulary or a bucketize's boundaries; each value is a feature
 *       of the model.</li>
 * </ul>
 * What grows with an entity's event rate rather than with its definition (the events inside a trailing window, the
 * distinct values of a distinct count) is not bounded here. Stateless.
 */
final class ViewCost {
    /** The most hopping windows one event may update, per aggregation. */
    static final long MAX_WINDOWS_PER_EVENT = 1_000;

    /** The most windows and sessions a view may keep per entity, over all its aggregations. */
    static final long MAX_WINDOWS_KEPT_PER_ENTITY = 4_000;

    /** The most values a one-hot vocabulary or a bucketize's boundaries may list. */
    static final int MAX_DECLARED_VALUES = 10_000;

    /** The most buckets of a hash or tokens transform. */
    static final int MAX_HASH_BUCKETS = 1 << 20;

    private ViewCost() {
    }

    /** Adds a problem, at its path within the view, for each bound the view exceeds. */
    static void check(FeatureView view, DefinitionProblems problems) {
        long keptTotal = 0;
        List<String> keptParts = new ArrayList<>();
        for (int i = 0; i < view.aggregations().size(); i++) {
            Aggregation aggregation = view.aggregations().get(i);
            String at = DefinitionReader.element("aggregations", i) + ".window";
            long kept = windowsKept(view, aggregation);
            if (kept == 0) {
                continue;
            }
            long perEvent = windowsPerEvent(aggregation);
            if (perEvent > MAX_WINDOWS_PER_EVENT) {
                problems.add(at + ".advance", String.format(Locale.ROOT, "%s / %s = %,d windows per event; at most "
                    + "%,d are allowed; use an advance of at least %s, or a trailing window of %s",
                    format(aggregation.window().toMillis()), format(aggregation.advance().toMillis()), perEvent,
                    MAX_WINDOWS_PER_EVENT, format(ceilDiv(aggregation.window().toMillis(), MAX_WINDOWS_PER_EVENT)),
                    format(aggregation.window().toMillis())));
                continue;
            }
            if (kept > MAX_WINDOWS_KEPT_PER_ENTITY) {
                problems.add(keptPath(view, aggregation, at), String.format(Locale.ROOT, "%s = %,d %s kept per "
                    + "entity; at most %,d are allowed per view; %s", keptFormula(view, aggregation), kept,
                    aggregation.type() == WindowType.SESSION ? "sessions" : "windows", MAX_WINDOWS_KEPT_PER_ENTITY,
                    keptFix(view, aggregation)));
                continue;
            }
            keptTotal += kept;
            keptParts.add(aggregation.name() + " " + String.format(Locale.ROOT, "%,d", kept));
        }
        if (keptTotal > MAX_WINDOWS_KEPT_PER_ENTITY) {
            problems.add("aggregations", String.format(Locale.ROOT, "the windowed aggregations keep %,d windows and "
                + "sessions per entity together (%s); at most %,d are allowed per view; split the view or use longer "
                + "advances", keptTotal, String.join(", ", keptParts), MAX_WINDOWS_KEPT_PER_ENTITY));
        }
        for (int i = 0; i < view.transforms().size(); i++) {
            Transform transform = view.transforms().get(i);
            String at = DefinitionReader.element("transforms", i);
            if (transform.vocabulary().size() > MAX_DECLARED_VALUES) {
                problems.add(at + ".vocabulary", String.format(Locale.ROOT, "%,d values; at most %,d are allowed, "
                    + "each being a feature of the model; use function: hash for a large or open set",
                    transform.vocabulary().size(), MAX_DECLARED_VALUES));
            }
            if (transform.boundaries().size() > MAX_DECLARED_VALUES) {
                problems.add(at + ".boundaries", String.format(Locale.ROOT, "%,d boundaries; at most %,d are "
                    + "allowed, each bucket being a feature of the model", transform.boundaries().size(),
                    MAX_DECLARED_VALUES));
            }
        }
    }

    /** How many windows of the aggregation one event updates: zero for a trailing window, which keeps events. */
    static long windowsPerEvent(Aggregation aggregation) {
        return switch (aggregation.type()) {
            case HOPPING -> ceilDiv(aggregation.window().toMillis(), aggregation.advance().toMillis());
            case TUMBLING, SESSION -> 1;
            case TRAILING -> 0;
        };
    }

    /** The most windows (or sessions) of the aggregation an entity's state holds at once; zero for none. */
    static long windowsKept(FeatureView view, Aggregation aggregation) {
        if (aggregation.function() == Function.TIME_SINCE_LAST) {
            return 0;
        }
        long size = aggregation.window().toMillis();
        long grace = view.graceOf(aggregation).toMillis();
        // Durations are at most ten years, so neither sum can overflow.
        return switch (aggregation.type()) {
            case TUMBLING, HOPPING -> ceilDiv(2 * size + grace, aggregation.advance().toMillis()) + 1;
            case SESSION -> (2 * size + grace) / size + 1;
            case TRAILING -> 0;
        };
    }

    private static String keptFormula(FeatureView view, Aggregation aggregation) {
        String size = format(aggregation.window().toMillis());
        String grace = format(view.graceOf(aggregation).toMillis());
        String advance = aggregation.type() == WindowType.SESSION ? size : format(aggregation.advance().toMillis());
        return "(2 * " + size + " + grace " + grace + ") / " + advance;
    }

    /** The grace when it is what makes the state large, else the window. */
    private static String keptPath(FeatureView view, Aggregation aggregation, String at) {
        boolean graceDominates = view.graceOf(aggregation).compareTo(aggregation.window().multipliedBy(2)) > 0;
        if (!graceDominates) {
            return at + (aggregation.type() == WindowType.HOPPING ? ".advance" : "");
        }
        return aggregation.grace() != null ? at + ".grace" : "grace";
    }

    private static String keptFix(FeatureView view, Aggregation aggregation) {
        return switch (aggregation.type()) {
            case HOPPING -> "use a longer advance or a shorter grace";
            case TUMBLING -> "use a longer window or a shorter grace";
            default -> "use a longer gap or a shorter grace";
        };
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** A duration in the largest unit that states it exactly, as a view file would write it. */
    static String format(long ms) {
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (ms != 0 && ms % units[i] == 0) {
                return ms / units[i] + names[i];
            }
        }
        return ms + "ms";
    }
}
