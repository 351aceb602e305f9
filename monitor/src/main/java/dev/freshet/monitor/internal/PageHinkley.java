package dev.freshet.monitor.internal;

/**
 * The Page-Hinkley test for a rise of the mean (Page 1954; as in MOA): m_t = sum of (x_i - mean_i - delta);
 * alarm when m_t - min(m) &gt; lambda, after at least {@code minExamples}. {@code delta} is the rise tolerated as
 * noise, {@code lambda} the evidence needed: larger means fewer false alarms and later detection.
 */
final class PageHinkley implements ChangeDetector {
    private final double delta;
    private final double lambda;
    private final int minExamples;

    private long n;
    private double mean;
    private double cumulative;
    private double minimum;
    /** Count and sum of the values up to and since the point where the minimum was reached. */
    private long countAtMin;
    private double sumAtMin;
    private double sum;

    private Alarm lastAlarm;

    PageHinkley(double delta, double lambda, int minExamples) {
        this.delta = delta;
        this.lambda = lambda;
        this.minExamples = minExamples;
    }

    @Override
    public boolean add(double x) {
        n++;
        sum += x;
        mean += (x - mean) / n;
        cumulative += x - mean - delta;
        if (cumulative < minimum) {
            minimum = cumulative;
            countAtMin = n;
            sumAtMin = sum;
        }
        double statistic = cumulative - minimum;
        if (n < minExamples || statistic <= lambda) {
            return false;
        }
        lastAlarm = new Alarm(statistic, lambda, countAtMin, countAtMin == 0 ? Double.NaN : sumAtMin / countAtMin,
            n - countAtMin, (sum - sumAtMin) / (n - countAtMin));
        reset();
        return true;
    }

    @Override
    public void reset() {
        n = 0;
        mean = 0;
        cumulative = 0;
        minimum = 0;
        countAtMin = 0;
        sumAtMin = 0;
        sum = 0;
    }

    @Override
    public String name() {
        return "PAGE_HINKLEY";
    }

    @Override
    public Alarm lastAlarm() {
        return lastAlarm;
    }
}
