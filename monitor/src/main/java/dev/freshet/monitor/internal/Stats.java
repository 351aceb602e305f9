package dev.freshet.monitor.internal;

import java.util.Arrays;

/** Two-sample tests for drift: Kolmogorov-Smirnov for numeric samples, chi-squared of homogeneity for counts. */
final class Stats {
    private Stats() {
    }

    /** The two-sample Kolmogorov-Smirnov statistic D: the largest gap between the two empirical CDFs. */
    static double ksStatistic(double[] a, double[] b) {
        double[] x = a.clone();
        double[] y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0;
        int j = 0;
        double d = 0;
        while (i < x.length && j < y.length) {
            double v = Math.min(x[i], y[j]);
            // Step past every tie on both sides, so equal values never open a spurious gap.
            while (i < x.length && x[i] == v) {
                i++;
            }
            while (j < y.length && y[j] == v) {
                j++;
            }
            d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
        }
        return d;
    }

    /**
     * The asymptotic p-value of D for samples of sizes n and m (Kolmogorov's distribution with Stephens'
     * small-sample correction, as in Numerical Recipes).
     */
    static double ksPValue(double d, int n, int m) {
        double ne = (double) n * m / (n + m);
        double sqrt = Math.sqrt(ne);
        double lambda = (sqrt + 0.12 + 0.11 / sqrt) * d;
        if (lambda < 1e-3) {
            return 1.0;
        }
        double sum = 0;
        double sign = 1;
        for (int k = 1; k <= 100; k++) {
            double term = sign * 2 * Math.exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.abs(term) < 1e-10) {
                return clamp(sum);
            }
            sign = -sign;
        }
        return 1.0;
    }

    /**
     * The chi-squared statistic of homogeneity of two count vectors over the same categories; categories empty in
     * both are ignored. Returns {statistic, degrees of freedom}.
     */
    static double[] chiSquared(long[] a, long[] b) {
        long na = Arrays.stream(a).sum();
        long nb = Arrays.stream(b).sum();
        if (na == 0 || nb == 0) {
            return new double[] {0, 0};
        }
        double stat = 0;
        int categories = 0;
        for (int k = 0; k < a.length; k++) {
            long total = a[k] + b[k];
            if (total == 0) {
                continue;
            }
            categories++;
            double ea = (double) total * na / (na + nb);
            double eb = (double) total * nb / (na + nb);
            stat += (a[k] - ea) * (a[k] - ea) / ea + (b[k] - eb) * (b[k] - eb) / eb;
        }
        return new double[] {stat, Math.max(0, categories - 1)};
    }

    /** P(X &gt; x) for X chi-squared with {@code df} degrees of freedom; 1 when df is 0. */
    static double chiSquaredPValue(double x, double df) {
        if (df <= 0 || x <= 0) {
            return 1.0;
        }
        return clamp(upperRegularizedGamma(df / 2, x / 2));
    }

    /** Q(a, x) = Gamma(a, x) / Gamma(a), by series below a + 1 and continued fraction above (Numerical Recipes). */
    static double upperRegularizedGamma(double a, double x) {
        double lnPrefix = -x + a * Math.log(x) - logGamma(a);
        if (x < a + 1) {
            double ap = a;
            double sum = 1.0 / a;
            double del = sum;
            for (int n = 0; n < 500; n++) {
                ap++;
                del *= x / ap;
                sum += del;
                if (Math.abs(del) < Math.abs(sum) * 1e-14) {
                    break;
                }
            }
            return 1 - sum * Math.exp(lnPrefix);
        }
        double tiny = 1e-300;
        double b = x + 1 - a;
        double c = 1 / tiny;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 500; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < tiny) {
                d = tiny;
            }
            c = b + an / c;
            if (Math.abs(c) < tiny) {
                c = tiny;
            }
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-14) {
                break;
            }
        }
        return Math.exp(lnPrefix) * h;
    }

    /** ln Gamma(x) for x &gt; 0 (Lanczos, g = 7). */
    static double logGamma(double x) {
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        double xx = x - 1;
        double sum = c[0];
        for (int i = 1; i < 9; i++) {
            sum += c[i] / (xx + i);
        }
        double t = xx + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(sum);
    }

    private static double clamp(double p) {
        return Math.max(0, Math.min(1, p));
    }
}
