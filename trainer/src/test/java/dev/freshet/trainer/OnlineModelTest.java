package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import dev.freshet.proto.features.v1.TrainingExample;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnlineModelTest {
    private final Random random = new Random(4);

    private TrainingExample priceExample(int i) {
        double price = 50 + 10 * random.nextGaussian();
        boolean weekend = random.nextInt(7) >= 5;
        TrainingExample.Builder b = TrainingExample.newBuilder().setRequestId("r-" + i).putFeatures("price", price)
            .setLabel(price + (weekend ? -15 : 0) > 50 ? "UP" : "DOWN");
        if (weekend) {
            b.putFeatures("day=weekend", 1.0);
        }
        return b.build();
    }

    @Test
    void classifiesTestThenTrainAndReportsTheProbabilitiesPredictedBeforeLearning() {
        OnlineModel model = OnlineModel.create(Map.of("trainer.labels", "DOWN,UP"));
        long correct = 0;
        for (int i = 0; i < 3000; i++) {
            TrainingExample example = priceExample(i);
            OnlineModel.Outcome outcome = model.testThenTrain(example);
            assertThat(outcome.learned()).isTrue();
            assertThat(outcome.probability(0) + outcome.probability(1)).isCloseTo(1.0,
                org.assertj.core.data.Offset.offset(1e-9));
            assertThat(outcome.predictedLabel()).isEqualTo(model.labels().get(outcome.predictedLabelId()));
            assertThat(outcome.probability(outcome.predictedLabelId())).isGreaterThanOrEqualTo(0.5);
            if (outcome.predictedLabel().equals(example.getLabel())) {
                correct++;
            }
        }

        assertThat(model.task()).isEqualTo(OnlineModel.Task.CLASSIFICATION);
        assertThat(model.examplesLearned()).isEqualTo(3000);
        assertThat(model.metrics().get("prequential_accuracy_since_parent")).isEqualTo(correct / 3000.0)
            .isGreaterThan(0.9);
        assertThat(model.metrics()).containsEntry("examples_since_parent", 3000.0)
            .containsEntry("examples_seen_since_parent", 3000.0).containsEntry("examples_skipped_since_parent", 0.0)
            .containsKeys("prequential_log_loss_since_parent", "prequential_auc_since_parent",
                "prequential_accuracy_window");
        assertThat(model.testThenTrain(TrainingExample.newBuilder().putFeatures("price", 75.0).setLabel("UP")
            .build()).probability(1)).isGreaterThan(0.9);
    }

    @Test
    void regressesANumericLabelAndReportsTheValuePredictedBeforeLearning() {
        OnlineModel model = OnlineModel.create(Map.of("trainer.task", "regression"));
        double lastError = Double.NaN;
        for (int i = 0; i < 4000; i++) {
            double x = random.nextGaussian();
            double y = 3 * x + 10;
            OnlineModel.Outcome outcome = model.testThenTrain(TrainingExample.newBuilder().putFeatures("x", x)
                .setLabel(Double.toString(y)).build());
            lastError = Math.abs(outcome.predictedValue() - y);
        }

        assertThat(model.task()).isEqualTo(OnlineModel.Task.REGRESSION);
        assertThat(model.labels()).containsExactly("value");
        assertThat(lastError).isLessThan(0.5);
        assertThat(model.metrics().get("prequential_mae_window")).isLessThan(0.5);
        assertThat(model.metrics()).containsEntry("examples_since_parent", 4000.0).containsKey(
            "prequential_rmse_since_parent");
    }

    @Test
    void skipsWhatTheTrainerSkipsAndCountsItByReason() {
        OnlineModel classes = OnlineModel.create(Map.of("trainer.labels", "no,yes"));
        OnlineModel.Outcome unknown = classes.testThenTrain(TrainingExample.newBuilder().putFeatures("x", 1.0)
            .setLabel("maybe").build());
        OnlineModel.Outcome missing = classes.testThenTrain(TrainingExample.newBuilder().putFeatures("x", 1.0)
            .build());
        OnlineModel.Outcome nan = classes.testThenTrain(TrainingExample.newBuilder().putFeatures("x", Double.NaN)
            .setLabel("yes").build());
        classes.testThenTrain(TrainingExample.newBuilder().putFeatures("x", 1.0).setLabel("yes").build());
        OnlineModel values = OnlineModel.create(Map.of("trainer.task", "regression"));
        OnlineModel.Outcome text = values.testThenTrain(TrainingExample.newBuilder().putFeatures("x", 1.0)
            .setLabel("high").build());

        assertThat(unknown.skipReason()).contains("unknown_label");
        assertThat(missing.skipReason()).contains("missing_label");
        assertThat(nan.skipReason()).contains("non_finite_feature");
        assertThat(text.skipReason()).contains("non_numeric_label");
        assertThatThrownBy(unknown::predictedLabel).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("skipped (unknown_label)");
        assertThat(classes.examplesSeen()).isEqualTo(4);
        assertThat(classes.examplesLearned()).isEqualTo(1);
        assertThat(classes.examplesSkipped()).containsOnly(Map.entry("unknown_label", 1L),
            Map.entry("missing_label", 1L), Map.entry("non_finite_feature", 1L));
        assertThat(classes.metrics()).containsEntry("examples_seen_since_parent", 4.0)
            .containsEntry("examples_since_parent", 1.0).containsEntry("examples_skipped_since_parent", 3.0)
            .containsEntry("examples_skipped_unknown_label_since_parent", 1.0);
        assertThat(values.examplesSkipped()).containsOnly(Map.entry("non_numeric_label", 1L));
    }

    @Test
    void takesTheModelSpecFileTheTrainerTakes(@TempDir Path dir) throws IOException {
        Path spec = Files.writeString(dir.resolve("price.yaml"), """
            name: price
            version: 1
            feature_view: {name: trades, version: 1}
            task: regression
            objective: huber
            huber_delta: 2.0
            """);

        OnlineModel model = OnlineModel.fromSpecFile(spec);

        assertThat(model.task()).isEqualTo(OnlineModel.Task.REGRESSION);
        assertThatThrownBy(() -> OnlineModel.create(Map.of("trainer.objective", "squared")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("trainer.objective");
    }
}
