package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerConfigTest {
    @Test
    void appliesTheDocumentedDefaults() {
        TrainerConfig config = new TrainerConfig(Map.of("bootstrap.servers", "localhost:9092"));

        assertThat(config.getString("topics.prefix")).isEqualTo("freshet.");
        assertThat(config.getString("trainer.model.name")).isEqualTo("default");
        assertThat(config.getList("trainer.labels")).isEqualTo(List.of("0", "1"));
        assertThat(config.learningRate()).isEqualTo(0.5);
        assertThat(config.getString("trainer.objective")).isEqualTo("logistic");
        assertThat(config.getString("trainer.optimiser")).isEqualTo("adagrad");
        assertThat(config.getInt("trainer.publish.every.examples")).isEqualTo(1000);
        assertThat(config.getLong("trainer.publish.interval.ms")).isEqualTo(1000L);
        assertThat(config.publishMinExamples()).isEqualTo(100);
        assertThat(config.getLong("trainer.publish.max.delay.ms")).isEqualTo(10_000L);
        assertThat(config.getInt("trainer.retrain.window.examples")).isEqualTo(2000);
        assertThat(config.getInt("trainer.retrain.epochs")).isEqualTo(3);
    }

    @Test
    void refusesAPublishingMinimumAboveTheCountThatPublishesAnyway() {
        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092",
                "trainer.publish.every.examples", "50", "trainer.publish.min.examples", "80")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.publish.min.examples").hasMessageContaining("80")
            .hasMessageContaining("at most trainer.publish.every.examples (50)");
    }

    @Test
    void lowersTheDefaultPublishingMinimumToTheCountThatPublishes() {
        assertThat(new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.publish.every.examples", "50"))
            .publishMinExamples()).isEqualTo(50);
        assertThat(new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.publish.min.examples", "1"))
            .publishMinExamples()).isEqualTo(1);
    }

    @Test
    void rejectsASingleLabelNamingTheKey() {
        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.labels", "yes")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.labels").hasMessageContaining("yes");
    }

    @Test
    void rejectsANegativeLearningRateNamingTheKey() {
        assertThatThrownBy(() -> new TrainerConfig(
                Map.of("bootstrap.servers", "b:9092", "trainer.learning.rate", "-1")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.learning.rate");
    }

    @Test
    void adamHasItsOwnDefaultLearningRateAndAnExplicitOneWins() {
        assertThat(new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.optimiser", "adam")).learningRate())
            .isEqualTo(0.01);
        assertThat(new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.optimiser", "adam",
            "trainer.learning.rate", "0.003")).learningRate()).isEqualTo(0.003);
    }

    @Test
    void rejectsAnUnknownOptimiserNamingWhatIsAccepted() {
        assertThatThrownBy(() -> new TrainerConfig(
                Map.of("bootstrap.servers", "b:9092", "trainer.optimiser", "rmsprop")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.optimiser").hasMessageContaining("rmsprop").hasMessageContaining("adam");
    }

    @Test
    void rejectsAnUnknownObjectiveNamingWhatIsAccepted() {
        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.objective", "huber")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.objective").hasMessageContaining("hinge");
    }

    @Test
    void rejectsAScheduleForAnOptimiserThatDoesNotUseOne() {
        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092",
                "trainer.learning.rate.schedule", "inverse")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.learning.rate.schedule").hasMessageContaining("trainer.optimiser=sgd");
    }

    @Test
    void rejectsAdamSettingsWithAnotherOptimiser() {
        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.optimiser", "sgd",
                "trainer.adam.beta1", "0.8")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.adam.beta1").hasMessageContaining("trainer.optimiser=adam");
    }

    @Test
    void requiresBootstrapServers() {
        assertThatThrownBy(() -> new TrainerConfig(Map.of()))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("bootstrap.servers");
    }

    @Test
    void aModelSpecWinsOverTheTrainerKeysAndTheKeysFillWhatItLeavesOut(@TempDir Path dir) throws Exception {
        Path spec = Files.writeString(dir.resolve("model.yaml"), """
            name: fraud
            feature_view: {name: transactions, version: 4}
            task: multiclass
            labels: [low, mid, high]
            optimiser: {learning_rate: 0.1}
            """);

        TrainerConfig config = new TrainerConfig(Map.of("bootstrap.servers", "b:9092",
            "trainer.spec.file", spec.toString(), "trainer.learning.rate", "0.3", "trainer.l2", "0.01"));

        assertThat(config.getString("trainer.model.name")).isEqualTo("fraud");
        assertThat(config.getList("trainer.labels")).containsExactly("low", "mid", "high");
        assertThat(config.learningRate()).isEqualTo(0.1);
        assertThat(config.getDouble("trainer.l2")).isEqualTo(0.01);
        assertThat(config.spec()).hasValueSatisfying(s -> assertThat(s.getFeatureViewVersion()).isEqualTo(4));
    }

    @Test
    void withoutASpecThereIsNoSpecLineage() {
        assertThat(new TrainerConfig(Map.of("bootstrap.servers", "b:9092")).spec()).isEmpty();
    }

    @Test
    void anInvalidSpecFailsStartNamingTheFieldPath(@TempDir Path dir) throws Exception {
        Path spec = Files.writeString(dir.resolve("model.yaml"), """
            name: fraud
            feature_view: {name: transactions, version: 1}
            task: binary
            labels: ["0", "1"]
            l2: lots
            """);

        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092",
                "trainer.spec.file", spec.toString())))
            .isInstanceOf(InvalidModelSpecException.class)
            .hasMessage("Model spec " + spec + " is invalid: l2: 'lots' is not a number");
    }

    @Test
    void regressionTakesOnlyRegressionLosses() {
        assertThat(new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.task", "regression")).objective())
            .isEqualTo("squared");
        assertThatThrownBy(() -> new TrainerConfig(Map.of("bootstrap.servers", "b:9092", "trainer.task",
                "regression", "trainer.objective", "hinge")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("trainer.objective").hasMessageContaining("'squared' or 'huber'");
    }
}
