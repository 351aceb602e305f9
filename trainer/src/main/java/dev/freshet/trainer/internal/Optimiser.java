package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
