package dev.freshet.trainer;

import java.time.InstantSource;
import java.util.Map;

import dev.freshet.contracts.Liveness;
import dev.freshet.trainer.internal.TrainerLoop;

/**
 * Learns a classifier or a regression online from {@code <prefix>training-examples} and publishes its versions to
 * {@code <prefix>models}; obeys ROLLBACK, RETRAIN, RESET, PAUSE and RESUME from {@code <prefix>commands} and
 * acknowledges each on {@code <prefix>command-acks}. Its settings come from the {@code trainer.*} keys and, when
 * {@code trainer.spec.file} names one, a YAML model spec that wins over them.
 *
 * <p>Each training example is first scored (prequential evaluation), then learned ({@code trainer.objective} with
 * {@code trainer.optimiser} and L2, on features standardised online). A new version, a stock Tribuo
 * {@code LinearSGDModel} (classification or regression) that takes raw features and carries the trainer's checkpoint, is published (in a Kafka
 * transaction with the consumed offsets) after {@code trainer.publish.every.examples} examples or every {@code trainer.publish.interval.ms}.
 * On startup the trainer continues from the newest non-barred version in the registry, if any.
 *
 * <p>All learning happens on one background thread; {@link #stats()} and {@link #close()} may be called from any
 * thread.
 */
public final class Trainer implements AutoCloseable {
    private final Liveness liveness;
    private final TrainerLoop loop;

    private Trainer(Map<String, ?> props) {
        this.liveness = new Liveness("trainer");
        this.loop = new TrainerLoop(new TrainerConfig(props), InstantSource.system(), liveness);
    }

    /**
     * Starts a trainer.
     *
     * @param props configuration, see {@link TrainerConfig#configDef()}
     * @return a running trainer; close it to stop
     * @throws org.apache.kafka.common.config.ConfigException if the configuration is invalid
     * @throws InvalidModelSpecException if the model spec is invalid (each problem with its field path)
     * @throws TrainerException if the training-examples, models or commands topic is missing or Kafka cannot be
     *     reached
     */
    public static Trainer start(Map<String, ?> props) {
        return new Trainer(props);
    }

    /** The latest statistics; never null. */
    public TrainerStats stats() {
        return loop.stats();
    }

    /**
     * Whether the learning thread still runs; once it stops for good (fenced by another trainer of the same model,
     * or an error it cannot recover from) this names the stage and why. A {@link #close()} reports nothing.
     */
    public Liveness liveness() {
        return liveness;
    }

    /** Stops learning and closes the Kafka clients, waiting at most about 15 s. Idempotent. */
    @Override
    public void close() {
        loop.close();
    }
}
