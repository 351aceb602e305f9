package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.freshet.trainer.InvalidModelSpecException;
import dev.freshet.trainer.TrainerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSpecFileTest {
    private static final String VALID = """
        name: fraud
        version: 3
        feature_view: {name: transactions, version: 2}
        label: {field: is_fraud}
        task: binary
        labels: ["0", "1"]
        objective: hinge
        optimiser: {type: sgd, learning_rate: 0.2, schedule: constant}
        l2: 0.001
        publish: {every_examples: 500, min_examples: 50, interval: 2s, max_delay: 20s}
        retrain: {window_examples: 300, epochs: 2}
        """;

    private static final String BINARY = """
        name: fraud
        feature_view: {name: transactions, version: 1}
        task: binary
        labels: ["0", "1"]
        """;

    @Test
    void mapsEveryFieldToItsTrainerKey() {
        ModelSpecFile.Loaded loaded = ModelSpecFile.parse("fraud.yaml", VALID);

        assertThat(loaded.keys())
            .containsEntry("trainer.model.name", "fraud")
            .containsEntry("trainer.task", "classification")
            .containsEntry("trainer.labels", List.of("0", "1"))
            .containsEntry("trainer.objective", "hinge")
            .containsEntry("trainer.optimiser", "sgd")
            .containsEntry("trainer.learning.rate", 0.2)
            .containsEntry("trainer.learning.rate.schedule", "constant")
            .containsEntry("trainer.l2", 0.001)
            .containsEntry("trainer.publish.every.examples", 500)
            .containsEntry("trainer.publish.interval.ms", 2000L)
            .containsEntry("trainer.publish.min.examples", 50)
            .containsEntry("trainer.publish.max.delay.ms", 20_000L)
            .containsEntry("trainer.retrain.window.examples", 300)
            .containsEntry("trainer.retrain.epochs", 2);
    }

    @Test
    void recordsTheSpecAndFeatureViewVersionForLineage() {
        ModelSpecFile.Loaded loaded = ModelSpecFile.parse("fraud.yaml", VALID);

        assertThat(loaded.lineage().getName()).isEqualTo("fraud");
        assertThat(loaded.lineage().getVersion()).isEqualTo(3);
        assertThat(loaded.lineage().getFeatureView()).isEqualTo("transactions");
        assertThat(loaded.lineage().getFeatureViewVersion()).isEqualTo(2);
        assertThat(loaded.lineage().getLabelField()).isEqualTo("is_fraud");
        assertThat(loaded.lineage().getTask()).isEqualTo("binary");
        assertThat(loaded.lineage().getText()).isEqualTo(VALID);
        assertThat(loaded.lineage().getSha256()).hasSize(64);
    }

    @Test
    void theExampleSpecBesideTheFeatureViewIsValid() {
        Path example = Path.of("../examples/model.yaml");

        ModelSpecFile.Loaded loaded = ModelSpecFile.load(example);

        assertThat(loaded.lineage().getFeatureView()).isEqualTo("transactions");
        assertThat(loaded.keys()).containsEntry("trainer.model.name", "default");
    }

    @Test
    void namesEveryProblemByItsFieldPath() {
        String spec = """
            name: fraud
            feature_view: {name: transactions}
            task: binary
            labels: ["0", "1", "2"]
            objective: squared
            optimiser: {type: adagrad, learning_rate: -0.1, schedule: constant, momentum: 0.9}
            publish: {interval: soon}
            """;

        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", spec))
            .isInstanceOfSatisfying(InvalidModelSpecException.class, e -> assertThat(e.problems()).containsExactly(
                "feature_view.version: missing; give the version of the view (its 'version' field)",
                "labels: task binary needs exactly two labels, got 3; use task: multiclass",
                "objective: 'squared' is not an objective for task binary; expected one of [logistic, hinge]",
                "optimiser.momentum: unknown field; expected one of [type, learning_rate, schedule, beta1, beta2, "
                    + "epsilon]",
                "optimiser.learning_rate: -0.1 is not accepted; expected unset, or [1.0E-9,...,100.0]",
                "optimiser.schedule: applies only with optimiser.type sgd (it is adagrad); remove it or change the "
                    + "type",
                "publish.interval: 'soon' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, "
                    + "1h, 1d"))
            .hasMessageStartingWith("Model spec bad.yaml is invalid: 7 problems: ");
    }

    @Test
    void refusesAMissingTaskAndUnknownTopLevelField() {
        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", """
                name: fraud
                feature_view: {name: transactions, version: 1}
                optimizer: {type: sgd}
                """))
            .isInstanceOfSatisfying(InvalidModelSpecException.class, e -> assertThat(e.problems()).containsExactly(
                "optimizer: unknown field; expected one of [name, version, description, feature_view, label, task, "
                    + "labels, objective, huber_delta, optimiser, l2, publish, retrain]; did you mean 'optimiser'?",
                "task: missing; expected one of [binary, multiclass, regression]"));
    }

    @Test
    void acceptsTheDurationGrammarWithDaysAndPlainMillisecondsInTheInterval() {
        assertThat(ModelSpecFile.parse("a.yaml", BINARY + "publish: {interval: 1d}\n").keys())
            .containsEntry("trainer.publish.interval.ms", 86_400_000L);
        assertThat(ModelSpecFile.parse("b.yaml", BINARY + "publish: {interval: 1500}\n").keys())
            .containsEntry("trainer.publish.interval.ms", 1500L);
    }

    @Test
    void refusesAnIntervalTheKeyRefusesAndOneLongerThanTenYears() {
        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", BINARY + "publish: {interval: 0s}\n"))
            .isInstanceOfSatisfying(InvalidModelSpecException.class, e -> assertThat(e.problems()).containsExactly(
                "publish.interval: '0s' is not accepted; expected [1,...]"));
        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", BINARY + "publish: {interval: 4000d}\n"))
            .isInstanceOfSatisfying(InvalidModelSpecException.class, e -> assertThat(e.problems()).containsExactly(
                "publish.interval: '4000d' is longer than 3650d (ten years), the longest duration accepted"));
    }

    @Test
    void refusesTextThatIsNotYamlWithItsLine() {
        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", "name: fraud\ntask: [binary\n"))
            .isInstanceOfSatisfying(InvalidModelSpecException.class, e -> assertThat(e.problems()).singleElement()
                .asString().startsWith("(document): not valid YAML at line "));
    }

    @Test
    void refusesLabelsForRegression() {
        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", """
                name: price
                feature_view: {name: houses, version: 1}
                task: regression
                labels: ["0", "1"]
                """))
            .isInstanceOfSatisfying(InvalidModelSpecException.class, e -> assertThat(e.problems()).containsExactly(
                "labels: a regression model predicts a number, not labels; remove labels or use task: binary or "
                    + "multiclass"));
    }

    @Test
    void refusesYamlThatIsNotAMapping() {
        assertThatThrownBy(() -> ModelSpecFile.parse("bad.yaml", "- just\n- a list\n"))
            .isInstanceOf(InvalidModelSpecException.class)
            .hasMessageContaining("(document): expected a mapping");
    }

    @Test
    void aMissingFileSaysWhichKeyNamedIt(@TempDir Path dir) {
        assertThatThrownBy(() -> ModelSpecFile.load(dir.resolve("nope.yaml")))
            .isInstanceOf(TrainerException.class)
            .hasMessageContaining("trainer.spec.file").hasMessageContaining("nope.yaml");
    }

    @Test
    void readsASpecFromAFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("model.yaml"), VALID);

        assertThat(ModelSpecFile.load(file).lineage().getSource()).isEqualTo(file.toString());
    }
}
