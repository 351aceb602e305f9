package dev.freshet.featurestore.internal.view;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import dev.freshet.contracts.FeatureEncoding;
import dev.freshet.featurestore.FeatureView.Transform;

/** The arithmetic of the transforms; see {@link Transform} for what each computes. Stateless and thread-safe. */
public final class Transforms {
    /** The one-hot value of a string outside a transform's vocabulary. */
    public static final String OTHER = "__other__";
    private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Transforms() {
    }

    /** Adds the transform of {@code value} (the field's value in the newest event, or null when absent) to out. */
    static void apply(Transform transform, Object value, Map<String, Double> out) {
        if (value == null) {
            return;
        }
        String name = transform.name();
        switch (transform.function()) {
            case LOG -> {
                double shifted = (Double) value + transform.offset();
                if (shifted > 0) {
                    out.put(name, Math.log(shifted));
                }
            }
            case CLIP -> {
                double x = (Double) value;
                if (transform.min() != null) {
                    x = Math.max(x, transform.min());
                }
                if (transform.max() != null) {
                    x = Math.min(x, transform.max());
                }
                out.put(name, x);
            }
            case BUCKETIZE -> {
                double x = (Double) value;
                int bucket = 0;
                while (bucket < transform.boundaries().size() && transform.boundaries().get(bucket) <= x) {
                    bucket++;
                }
                out.put(FeatureEncoding.oneHotName(name, Integer.toString(bucket)), 1.0);
            }
            case ONE_HOT -> {
                String text = (String) value;
                out.put(FeatureEncoding.oneHotName(name, transform.vocabulary().contains(text) ? text : OTHER), 1.0);
            }
            case HASH -> out.put(FeatureEncoding.oneHotName(name, "#" + bucket((String) value, transform.buckets())), 1.0);
            case TOKENS -> {
                for (String token : NON_WORD.split(((String) value).toLowerCase(Locale.ROOT))) {
                    if (!token.isEmpty()) {
                        out.merge(FeatureEncoding.oneHotName(name, "#" + bucket(token, transform.buckets())), 1.0, Double::sum);
                    }
                }
            }
            default -> throw new IllegalStateException("transform " + transform.function());
        }
    }

    /** The hash bucket of a string: its FNV-1a 64-bit hash of the UTF-8 bytes, modulo {@code buckets}. */
    public static int bucket(String text, int buckets) {
        return (int) Long.remainderUnsigned(fnv1a64(text), buckets);
    }

    /** FNV-1a 64 of the UTF-8 bytes: stable across JVMs and versions, unlike {@code String.hashCode}'s spread. */
    public static long fnv1a64(String text) {
        long hash = FNV_OFFSET;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
        }
        return hash;
    }
}
