package dev.freshet.trainer.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;

/**
 * Wrote the golden files in {@code src/test/resources/golden} once; see the README there. Never run it to make
 * {@link GoldenFilesTest} pass: a registry written by an older trainer must stay readable, and these files are that
 * registry. It stays here to show how they were made.
 */
final class GoldenFilesWriter {
    private GoldenFilesWriter() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "trainer/src/test/resources/golden");
        Files.createDirectories(dir);
        Map<String, String> expected = new TreeMap<>();

        LearningSession packedSession = learnedSession(true);
        LearningSession.PendingVersion packed = packedSession.prepareVersion(GoldenExamples.PUBLISHED_AT_MS);
        ModelSchema schema = packed.newSchema().orElseThrow();
        Files.write(dir.resolve("model-version-packed.binpb"), packed.version().toByteArray());
        Files.write(dir.resolve("model-schema.binpb"), schema.toByteArray());
        ModelVersion packedRead = ModelVersion.parseFrom(packed.version().toByteArray());
        LearningSession packedRestart = GoldenReads.restart(packedRead, schema);
        expected.put("packed.learner", hex(GoldenReads.learnerProbabilities(packedRestart.learner())));
        expected.put("packed.window_accuracy", hex(List.of(packedRestart.stats().prequentialAccuracy())));
        expected.put("packed.tribuo", hex(GoldenReads.tribuoScores(PackedVersions.toTribuo(schema, packedRead),
            GoldenReads.BINARY)));

        LearningSession wholeSession = learnedSession(false);
        ModelVersion whole = wholeSession.prepareVersion(GoldenExamples.PUBLISHED_AT_MS).version();
        Files.write(dir.resolve("model-version-whole.binpb"), whole.toByteArray());
        ModelVersion wholeRead = ModelVersion.parseFrom(whole.toByteArray());
        expected.put("whole.learner", hex(GoldenReads.learnerProbabilities(
            GoldenReads.restart(wholeRead, null).learner())));
        var tribuo = TribuoModels.deserialize(wholeRead.getTribuoModel().toByteArray());
        expected.put("whole.tribuo", hex(GoldenReads.tribuoScores(tribuo, GoldenReads.BINARY)));
        expected.put("whole.adopted", hex(GoldenReads.learnerProbabilities(
            GoldenReads.adopted(tribuo, wholeRead.getExamplesSeen()))));

        OnlineLearner multiclass = new OnlineLearner(GoldenReads.MULTICLASS, Objective.HINGE,
            GoldenReads.MULTICLASS_OPTIMISER, 1e-4);
        for (int i = 0; i < GoldenExamples.EXAMPLES; i++) {
            Map<String, Double> f = GoldenExamples.features(i);
            multiclass.learn(f, GoldenExamples.classOf(i, f), true);
        }
        Files.write(dir.resolve("learner-state-multiclass.binpb"), LearnerCheckpoint.write(multiclass).toByteArray());
        expected.put("multiclass.learner", hex(GoldenReads.learnerProbabilities(GoldenReads.restoreMulticlass(
            LearnerState.parseFrom(LearnerCheckpoint.write(multiclass).toByteArray())))));

        OnlineLearner regression = new OnlineLearner(LearningSession.Settings.REGRESSION_OUTPUT, Objective.HUBER,
            GoldenReads.REGRESSION_OPTIMISER, GoldenReads.REGRESSION_L2);
        var huber = Objective.HUBER.tribuoRegression(GoldenReads.HUBER_DELTA);
        for (int i = 0; i < GoldenExamples.EXAMPLES; i++) {
            Map<String, Double> f = GoldenExamples.features(i);
            regression.learnValue(f, GoldenExamples.target(i, f), huber, true);
        }
        Files.write(dir.resolve("learner-state-regression.binpb"), LearnerCheckpoint.write(regression).toByteArray());
        expected.put("regression.learner", hex(GoldenReads.learnerValues(GoldenReads.restoreRegression(
            LearnerState.parseFrom(LearnerCheckpoint.write(regression).toByteArray())))));

        StringBuilder text = new StringBuilder("# Predictions recorded when the golden files were written, as "
            + "Double.toHexString values (exact); see README.md.\n");
        expected.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(dir.resolve("expected-predictions.properties"), text.toString());
    }

    private static LearningSession learnedSession(boolean packed) {
        LearningSession session = new LearningSession(GoldenReads.sessionSettings(), 0);
        if (packed) {
            session.publishPacked();
        }
        for (int i = 0; i < GoldenExamples.EXAMPLES; i++) {
            session.learn(GoldenExamples.example(i), 0, i);
        }
        return session;
    }

    private static String hex(List<Double> values) {
        return values.stream().map(Double::toHexString).collect(Collectors.joining(","));
    }
}
