package dev.freshet.featurestore.internal.view;

/**
 * Saturating arithmetic on epoch milliseconds and durations. Event times are bounded (featurestore.event.time.*),
 * but windows, grace periods and TTLs are not, and a wrapped sum turns "the window is still open" into "closed
 * long ago": saturating at {@code Long.MIN_VALUE}/{@code Long.MAX_VALUE} keeps every comparison on the right side.
 */
public final class TimeMath {
    private TimeMath() {
    }

    /** {@code a + b}, or the nearest bound when it overflows. */
    public static long plus(long a, long b) {
        long sum = a + b;
        // Overflow iff both operands have the sign opposite to the result's.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    /** {@code a - b}, or the nearest bound when it overflows. */
    public static long minus(long a, long b) {
        long difference = a - b;
        if (((a ^ b) & (a ^ difference)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return difference;
    }
}
