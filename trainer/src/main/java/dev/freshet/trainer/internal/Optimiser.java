package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.trainer.TrainerConfig;

/**
 * A per-parameter gradient optimiser whose state the trainer owns, unlike Tribuo's (whose AdaGrad accumulators are
 * private and whose 4.3.2 Adam multiplies where it should divide): the state grows with the feature space, is
 * copied into snapshots and is written to, and restored from, checkpoints.
 *
 * <p>Parameters are addressed as {@code (output k, feature j)} weights plus one bias per output. Gradients passed
 * in are ascent directions (Tribuo's convention: the objective returns the gradient of the log-likelihood), and the
 * value returned is the amount to add to the parameter. Not thread-safe.
 */
final class Optimiser {
    /** Which update rule; the name is what configuration and checkpoints use. */
    enum Kind {
        ADAGRAD("adagrad"), SGD("sgd"), ADAM("adam");

        final String configName;

        Kind(String configName) {
            this.configName = configName;
        }

        static Kind fromConfig(String name) {
            for (Kind kind : values()) {
                if (kind.configName.equals(name)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("Unknown optimiser '" + name + "'");
        }
    }

    /** Learning-rate schedule of plain SGD, as a function of the step t (1-based). */
    enum Schedule {
        CONSTANT("constant"), INVERSE_SQRT("inverse_sqrt"), INVERSE("inverse");

        final String configName;

        Schedule(String configName) {
            this.configName = configName;
        }

        static Schedule fromConfig(String name) {
            for (Schedule schedule : values()) {
                if (schedule.configName.equals(name)) {
                    return schedule;
                }
            }
            throw new IllegalArgumentException("Unknown learning-rate schedule '" + name + "'");
        }
    }

    /** Everything that defines the update rule apart from its state. */
    record Settings(Kind kind, double learningRate, Schedule schedule, double beta1, double beta2, double epsilon) {
        /** The update rule the configuration names, with the settings that rule reads. */
        static Settings fromConfig(TrainerConfig config) {
            Kind kind = Kind.fromConfig(config.getString(TrainerConfig.OPTIMISER_CONFIG));
            double rate = config.learningRate();
            return switch (kind) {
                case ADAGRAD -> adaGrad(rate);
                case SGD -> new Settings(kind, rate,
                    Schedule.fromConfig(config.getString(TrainerConfig.LEARNING_RATE_SCHEDULE_CONFIG)), 0.0, 0.0, 0.0);
                case ADAM -> new Settings(kind, rate, Schedule.CONSTANT,
                    config.getDouble(TrainerConfig.ADAM_BETA1_CONFIG),
                    config.getDouble(TrainerConfig.ADAM_BETA2_CONFIG), config.getDouble(TrainerConfig.ADAM_EPSILON_CONFIG));
            };
        }

        static Settings adaGrad(double learningRate) {
            return new Settings(Kind.ADAGRAD, learningRate, Schedule.CONSTANT, 0.9, 0.999, 1e-6);
        }

        Map<String, String> describe() {
            Map<String, String> d = new LinkedHashMap<>();
            d.put("optimiser", kind.configName);
            d.put("learning_rate", Double.toString(learningRate));
            switch (kind) {
                case ADAGRAD -> d.put("epsilon", Double.toString(epsilon));
                case SGD -> d.put("learning_rate_schedule", schedule.configName);
                case ADAM -> {
                    d.put("beta1", Double.toString(beta1));
                    d.put("beta2", Double.toString(beta2));
                    d.put("epsilon", Double.toString(epsilon));
                }
            }
            return d;
        }
    }

    /** One named state array laid out like the parameters: {@code weights[k][j]} and {@code bias[k]}. */
    record Slot(String name, double[][] weights, double[] bias) {
    }

    private final Settings settings;
    private final String[] slotNames;
    /** slots[s][k][j]. */
    private double[][][] weightSlots;
    private double[][] biasSlots;
    private long steps;
    // Per-step factors, computed once in beginStep rather than per parameter.
    private double stepRate;
    private double adamCorrection1;
    private double adamCorrection2;

    Optimiser(Settings settings, int outputs, int capacity) {
        this.settings = settings;
        this.slotNames = switch (settings.kind()) {
            case ADAGRAD -> new String[] {"sum_squared_gradients"};
            case SGD -> new String[0];
            case ADAM -> new String[] {"first_moment", "second_moment"};
        };
        this.weightSlots = new double[slotNames.length][outputs][capacity];
        this.biasSlots = new double[slotNames.length][outputs];
    }

    private Optimiser(Optimiser other) {
        this.settings = other.settings;
        this.slotNames = other.slotNames;
        this.weightSlots = new double[other.weightSlots.length][][];
        for (int s = 0; s < weightSlots.length; s++) {
            weightSlots[s] = new double[other.weightSlots[s].length][];
            for (int k = 0; k < weightSlots[s].length; k++) {
                weightSlots[s][k] = other.weightSlots[s][k].clone();
            }
        }
        this.biasSlots = new double[other.biasSlots.length][];
        for (int s = 0; s < biasSlots.length; s++) {
            biasSlots[s] = other.biasSlots[s].clone();
        }
        this.steps = other.steps;
        this.stepRate = other.stepRate;
        this.adamCorrection1 = other.adamCorrection1;
        this.adamCorrection2 = other.adamCorrection2;
    }

    Optimiser copy() {
        return new Optimiser(this);
    }

    Settings settings() {
        return settings;
    }

    long steps() {
        return steps;
    }

    /** Makes room for features up to {@code capacity}; new state is zero. */
    void grow(int capacity) {
        for (double[][] slot : weightSlots) {
            for (int k = 0; k < slot.length; k++) {
                if (slot[k].length < capacity) {
                    slot[k] = Arrays.copyOf(slot[k], capacity);
                }
            }
        }
    }

    /** Starts the update for one example: advances the step count that schedules and bias correction use. */
    void beginStep() {
        steps++;
        double t = steps;
        stepRate = switch (settings.kind()) {
            case SGD -> switch (settings.schedule()) {
                case CONSTANT -> settings.learningRate();
                case INVERSE_SQRT -> settings.learningRate() / Math.sqrt(t);
                case INVERSE -> settings.learningRate() / t;
            };
            default -> settings.learningRate();
        };
        if (settings.kind() == Kind.ADAM) {
            adamCorrection1 = 1.0 - Math.pow(settings.beta1(), t);
            adamCorrection2 = 1.0 - Math.pow(settings.beta2(), t);
        }
    }

    /** The amount to add to weight (k, j) given its ascent gradient. */
    double weightDelta(int k, int j, double gradient) {
        return switch (settings.kind()) {
            case SGD -> stepRate * gradient;
            case ADAGRAD -> adaGrad(weightSlots[0][k], j, gradient);
            case ADAM -> adam(weightSlots[0][k], weightSlots[1][k], j, gradient);
        };
    }

    /**
     * One step on the weights of output k at the features of one example: the ascent gradient of weight
     * {@code w[ids[i]]} is {@code g * z[i] - l2 * w[ids[i]]}. Only the features given move (L2 applies when a
     * feature occurs; Adam's moments of other features wait, as in "lazy" sparse Adam), so a step costs the
     * example's non-zero features, not the feature space. Equivalent to {@link #weightDelta} per weight.
     *
     * @param w the weights of output k, updated in place
     */
    void updateWeights(int k, double[] w, int[] ids, double[] z, int nnz, double g, double l2) {
        switch (settings.kind()) {
            case SGD -> {
                double rate = stepRate;
                for (int i = 0; i < nnz; i++) {
                    int j = ids[i];
                    double grad = g * z[i] - l2 * w[j];
                    if (grad != 0.0) {
                        w[j] += rate * grad;
                    }
                }
            }
            case ADAGRAD -> {
                double[] sumSquares = weightSlots[0][k];
                double rate = stepRate;
                double epsilon = settings.epsilon();
                for (int i = 0; i < nnz; i++) {
                    int j = ids[i];
                    double grad = g * z[i] - l2 * w[j];
                    if (grad != 0.0) {
                        double s = sumSquares[j] + grad * grad;
                        sumSquares[j] = s;
                        w[j] += rate * grad / (Math.sqrt(s) + epsilon);
                    }
                }
            }
            case ADAM -> {
                double[] m = weightSlots[0][k];
                double[] v = weightSlots[1][k];
                for (int i = 0; i < nnz; i++) {
                    int j = ids[i];
                    double grad = g * z[i] - l2 * w[j];
                    if (grad != 0.0) {
                        w[j] += adam(m, v, j, grad);
                    }
                }
            }
        }
    }

    /** Whether {@link #updateMirrored} applies: rules whose state for output 1 follows from output 0's (not Adam). */
    boolean canMirror() {
        return settings.kind() != Kind.ADAM;
    }

    /**
     * One step on two outputs whose weights are exact negatives of each other (and AdaGrad's sums equal), for the
     * ascent gradients {@code g} (output 0) and {@code -g} (output 1): the step of output 0, and its exact negative
     * on output 1. Bit for bit what {@link #updateWeights} gives for each output (negation is exact and rounding
     * is symmetric), at half the cost. Only where {@link #canMirror()}.
     */
    void updateMirrored(double[] w0, double[] w1, int[] ids, double[] z, int nnz, double g, double l2) {
        double rate = stepRate;
        if (settings.kind() == Kind.SGD) {
            for (int i = 0; i < nnz; i++) {
                int j = ids[i];
                double grad = g * z[i] - l2 * w0[j];
                if (grad != 0.0) {
                    double delta = rate * grad;
                    w0[j] += delta;
                    w1[j] -= delta;
                }
            }
            return;
        }
        double[] sums0 = weightSlots[0][0];
        double[] sums1 = weightSlots[0][1];
        double epsilon = settings.epsilon();
        for (int i = 0; i < nnz; i++) {
            int j = ids[i];
            double grad = g * z[i] - l2 * w0[j];
            if (grad != 0.0) {
                double s = sums0[j] + grad * grad;
                sums0[j] = s;
                sums1[j] = s;
                double delta = rate * grad / (Math.sqrt(s) + epsilon);
                w0[j] += delta;
                w1[j] -= delta;
            }
        }
    }

    /**
     * The bias step of output 0 for ascent gradient {@code g}, keeping output 1's state the mirror of output 0's;
     * add it to bias 0 and subtract it from bias 1. Only where {@link #canMirror()}.
     */
    double biasDeltaMirrored(double g) {
        if (settings.kind() == Kind.SGD) {
            return stepRate * g;
        }
        double delta = adaGrad(biasSlots[0], 0, g);
        biasSlots[0][1] = biasSlots[0][0];
        return delta;
    }

    /** Whether output 1's state mirrors output 0's over the first {@code numFeatures} features (two outputs). */
    boolean stateMirrored(int numFeatures) {
        if (!canMirror() || biasSlots.length > 0 && biasSlots[0].length != 2) {
            return false;
        }
        for (int s = 0; s < weightSlots.length; s++) {
            if (Double.doubleToRawLongBits(biasSlots[s][0]) != Double.doubleToRawLongBits(biasSlots[s][1])) {
                return false;
            }
            for (int j = 0; j < numFeatures; j++) {
                if (Double.doubleToRawLongBits(weightSlots[s][0][j])
                        != Double.doubleToRawLongBits(weightSlots[s][1][j])) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The amount to add to the bias of output k given its ascent gradient. */
    double biasDelta(int k, double gradient) {
        return switch (settings.kind()) {
            case SGD -> stepRate * gradient;
            case ADAGRAD -> adaGrad(biasSlots[0], k, gradient);
            case ADAM -> adam(biasSlots[0], biasSlots[1], k, gradient);
        };
    }

    private double adaGrad(double[] sumSquares, int i, double gradient) {
        sumSquares[i] += gradient * gradient;
        return stepRate * gradient / (Math.sqrt(sumSquares[i]) + settings.epsilon());
    }

    /** Kingma and Ba's update, dividing by the root of the corrected second moment (where Tribuo 4.3.2 multiplies). */
    private double adam(double[] m, double[] v, int i, double gradient) {
        m[i] = settings.beta1() * m[i] + (1.0 - settings.beta1()) * gradient;
        v[i] = settings.beta2() * v[i] + (1.0 - settings.beta2()) * gradient * gradient;
        double mHat = m[i] / adamCorrection1;
        double vHat = v[i] / adamCorrection2;
        return stepRate * mHat / (Math.sqrt(vHat) + settings.epsilon());
    }

    /** Zeroes all state (after the weights were replaced by ones this state does not belong to). */
    void reset() {
        for (double[][] slot : weightSlots) {
            for (double[] row : slot) {
                Arrays.fill(row, 0.0);
            }
        }
        for (double[] slot : biasSlots) {
            Arrays.fill(slot, 0.0);
        }
        steps = 0;
    }

    /** The state, trimmed to the first {@code numFeatures} features, as copies. */
    List<Slot> slots(int numFeatures) {
        List<Slot> slots = new ArrayList<>(slotNames.length);
        for (int s = 0; s < slotNames.length; s++) {
            double[][] weights = new double[weightSlots[s].length][];
            for (int k = 0; k < weights.length; k++) {
                weights[k] = Arrays.copyOf(weightSlots[s][k], numFeatures);
            }
            slots.add(new Slot(slotNames[s], weights, biasSlots[s].clone()));
        }
        return slots;
    }

    /**
     * Restores state written by {@link #slots}; the arrays must be at least this optimiser's capacity wide after
     * {@link #grow}.
     *
     * @throws IllegalArgumentException if the slots are not this rule's
     */
    void restore(List<Slot> slots, long restoredSteps) {
        if (slots.size() != slotNames.length) {
            throw new IllegalArgumentException("expected optimiser slots " + List.of(slotNames) + ", got "
                + slots.stream().map(Slot::name).toList());
        }
        for (int s = 0; s < slotNames.length; s++) {
            Slot slot = slots.get(s);
            if (!slot.name().equals(slotNames[s]) || slot.weights().length != weightSlots[s].length
                    || slot.bias().length != biasSlots[s].length) {
                throw new IllegalArgumentException("optimiser slot " + s + " is '" + slot.name() + "' with "
                    + slot.bias().length + " outputs; expected '" + slotNames[s] + "' with " + biasSlots[s].length);
            }
            for (int k = 0; k < weightSlots[s].length; k++) {
                double[] row = slot.weights()[k];
                System.arraycopy(row, 0, weightSlots[s][k], 0, row.length);
            }
            System.arraycopy(slot.bias(), 0, biasSlots[s], 0, slot.bias().length);
        }
        steps = restoredSteps;
    }
}
