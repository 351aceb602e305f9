package dev.freshet.trainer.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prequential evaluation of a regression: mean absolute error and root mean squared error of each prediction made
 * before learning from its example, over the examples since the last version and over a sliding window of the most
 * recent ones. The window's sums are recomputed from its contents whenever they are read, so that no rounding error
 * builds up over a long stream. Not thread-safe.
 */
final class RegressionMetrics implements Evaluation {
    static final String MAE_SINCE_PARENT = "prequential_mae_since_parent";
    static final String RMSE_SINCE_PARENT = "prequential_rmse_since_parent";
    static final String MAE_WINDOW = "prequential_mae_window";
    static final String RMSE_WINDOW = "prequential_rmse_window";

    private static final int STATE_FORMAT = 2;

    private final int capacity;
    private final double[] errors;
    private int next;
    private int size;
    private long sinceParent;
    private double sinceParentAbsolute;
    private double sinceParentSquared;

    RegressionMetrics(int windowCapacity) {
        this.capacity = windowCapacity;
        this.errors = new double[windowCapacity];
    }

    /** Records one prediction made before learning, and the true value. */
    void record(double predicted, double actual) {
        double error = actual - predicted;
        errors[next] = error;
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
        sinceParent++;
        sinceParentAbsolute += Math.abs(error);
        sinceParentSquared += error * error;
    }

    @Override
    public long sinceParent() {
        return sinceParent;
    }

    @Override
    public void resetSinceParent() {
        sinceParent = 0;
        sinceParentAbsolute = 0.0;
        sinceParentSquared = 0.0;
    }

    @Override
    public void clear() {
        next = 0;
        size = 0;
        resetSinceParent();
    }

    /** Mean absolute error over the window; NaN before any example. */
    double windowMae() {
        double sum = 0.0;
        for (int i = 0; i < size; i++) {
            sum += Math.abs(errors[i]);
        }
        return size == 0 ? Double.NaN : sum / size;
    }

    /** Root mean squared error over the window; NaN before any example. */
    double windowRmse() {
        double sum = 0.0;
        for (int i = 0; i < size; i++) {
            sum += errors[i] * errors[i];
        }
        return size == 0 ? Double.NaN : Math.sqrt(sum / size);
    }

    double maeSinceParent() {
        return sinceParent == 0 ? Double.NaN : sinceParentAbsolute / sinceParent;
    }

    @Override
    public Map<String, Double> asVersionMetrics() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(PrequentialMetrics.EXAMPLES_SINCE_PARENT, (double) sinceParent);
        if (sinceParent > 0) {
            metrics.put(MAE_SINCE_PARENT, maeSinceParent());
            metrics.put(RMSE_SINCE_PARENT, Math.sqrt(sinceParentSquared / sinceParent));
        }
        metrics.put(PrequentialMetrics.EXAMPLES_WINDOW, (double) size);
        if (size > 0) {
            metrics.put(MAE_WINDOW, windowMae());
            metrics.put(RMSE_WINDOW, windowRmse());
        }
        return metrics;
    }

    @Override
    public byte[] windowState() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(STATE_FORMAT);
            out.writeInt(size);
            // Oldest first, so that restoring is replaying.
            int start = size < capacity ? 0 : next;
            for (int i = 0; i < size; i++) {
                out.writeDouble(errors[(start + i) % capacity]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public boolean restoreWindow(byte[] state) {
        if (state.length == 0) {
            return false;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            if (in.readInt() != STATE_FORMAT) {
                return false;
            }
            int stored = in.readInt();
            double[] restored = new double[stored];
            for (int i = 0; i < stored; i++) {
                restored[i] = in.readDouble();
            }
            next = 0;
            size = 0;
            for (double error : restored) {
                errors[next] = error;
                next = (next + 1) % capacity;
                size = Math.min(size + 1, capacity);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            next = 0;
            size = 0;
            return false;
        }
    }

    @Override
    public double windowAccuracy() {
        return Double.NaN;
    }

    @Override
    public int windowSize() {
        return size;
    }
}
