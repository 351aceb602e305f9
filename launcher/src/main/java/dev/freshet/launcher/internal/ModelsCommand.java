package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import com.google.protobuf.InvalidProtocolBufferException;
import com.oracle.labs.mlrg.olcut.config.protobuf.ProtoProvenanceSerialization;
import com.oracle.labs.mlrg.olcut.config.protobuf.protos.RootProvenanceProto;
import com.oracle.labs.mlrg.olcut.provenance.ProvenanceUtil;
import dev.freshet.contracts.RolloutMode;
import dev.freshet.contracts.ServingRule;
import dev.freshet.contracts.Topic;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.apache.kafka.common.KafkaException;
import org.tribuo.Model;
import org.tribuo.protos.core.ModelProto;
import org.tribuo.provenance.ModelProvenance;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code freshet models list|show|diff}: the model registry (the compacted models topic) for people. Read-only: no
 * consumer group, nothing committed. The commands topic is read too, and both go through the serving rule serving
 * itself applies ({@link ServingRule}), so that what is printed as serving is what serving serves.
 */
@picocli.CommandLine.Command(name = "models", mixinStandardHelpOptions = true,
    description = "Read the model registry (list versions, show one version's lineage and provenance, diff two) "
        + "and control a model's trainer (retrain, reset, pause, resume).",
    subcommands = {ModelsCommand.ListVersions.class, ModelsCommand.Show.class, ModelsDiff.class,
        ModelControlCommand.Retrain.class, ModelControlCommand.Reset.class, ModelControlCommand.Pause.class,
        ModelControlCommand.Resume.class})
public final class ModelsCommand {
    /** Where the registry is. */
    static final class RegistryOptions {
        @Mixin
        ClusterOptions cluster;

        @Option(names = "--model", defaultValue = "default", paramLabel = "NAME",
            description = "Model whose versions to read (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--timeout", defaultValue = "30s", converter = DemoCommand.DurationConverter.class,
            paramLabel = "DURATION", description = "Give up reading after this long (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        String topic(Topic topic) {
            return cluster.topics().name(topic);
        }

        ModelRegistry read() {
            try {
                return ModelRegistry.read(cluster.clients(), cluster.topics(), model, timeout);
            } catch (KafkaException e) {
                throw new LauncherException("Could not read " + topic(Topic.MODELS) + ": " + e.getMessage(), e);
            }
        }
    }

    /** How serving runs, for the verbs that say which version it serves. */
    static final class ServingOptions {
        // The mode is serving's configuration, published nowhere but its admin status (which needs a token), so the
        // operator states it, with serving's own default.
        @Option(names = "--rollout-mode", defaultValue = "none", converter = RolloutModeConverter.class,
            paramLabel = "MODE", description = "The serving.rollout.mode serving runs with: none, challenger or "
                + "shadow (default: ${DEFAULT-VALUE}, serving's default; freshet serving status shows it).")
        RolloutMode rolloutMode;
    }

    static final class RolloutModeConverter implements ITypeConverter<RolloutMode> {
        @Override
        public RolloutMode convert(String value) {
            try {
                return RolloutMode.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    @picocli.CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
        description = "List a model's versions, oldest first: origin, parent, examples, metrics, and which are "
            + "barred, serving (the champion) and under trial (the challenger).")
    static final class ListVersions implements Callable<Integer> {
        @Mixin
        RegistryOptions registry = new RegistryOptions();

        @Mixin
        ServingOptions serving = new ServingOptions();

        PrintStream out = System.out;

        @Override
        public Integer call() {
            ModelRegistry r = registry.read();
            if (r.versions().isEmpty()) {
                out.printf("Model '%s' has no versions on %s.%n", r.model(), registry.topic(Topic.MODELS));
                return 0;
            }
            ServingRule.Decision decision = r.serving(serving.rolloutMode);
            printSummary(r, decision);
            // A regression's versions carry error figures instead of accuracy ones.
            boolean regression = r.versions().values().stream()
                .anyMatch(v -> v.getMetricsMap().containsKey("prequential_mae_since_parent"));
            List<String> columns = regression
                ? List.of("prequential_mae_since_parent", "prequential_rmse_since_parent", "")
                : List.of("prequential_accuracy_since_parent", "prequential_auc_since_parent",
                    "prequential_log_loss_since_parent");
            out.printf("%-8s %-8s %-9s %-20s %9s %8s %8s %8s  %s%n", "version", "parent", "origin", "published (UTC)",
                "examples", regression ? "mae" : "acc", regression ? "rmse" : "auc", regression ? "" : "logloss",
                "status");
            for (ModelVersion mv : r.versions().values()) {
                Map<String, Double> m = mv.getMetricsMap();
                out.printf("%-8s %-8s %-9s %-20s %9d %8s %8s %8s  %s%n", "v" + mv.getVersion(),
                    mv.getParentVersion() > 0 ? "v" + mv.getParentVersion() : "-", mv.getOrigin().name(),
                    time(mv.getPublishedAtMs()), mv.getExamplesSeen(), figure(m.get(columns.get(0))),
                    figure(m.get(columns.get(1))), regression ? "" : figure(m.get(columns.get(2))),
                    status(r, decision, mv.getVersion()));
            }
            out.println((regression ? "mae, rmse" : "acc, auc, logloss")
                + ": prequential (test-then-train) over the examples since the parent version.");
            return 0;
        }

        private void printSummary(ModelRegistry r, ServingRule.Decision decision) {
            String challenger = decision.challenger() == 0 ? ""
                : decision.mode() == RolloutMode.SHADOW ? ", with v" + decision.challenger() + " in its shadow"
                : ", challenged by v" + decision.challenger();
            out.printf("Model '%s': %d version(s); serving picks %s (%s)%s.%n", r.model(), r.versions().size(),
                decision.champion() == 0 ? "no version" : "v" + decision.champion(), decision.explanation(),
                challenger);
            out.printf("  rollout mode: %s (from --rollout-mode, which should match serving's serving.rollout.mode)%n",
                decision.mode().configName());
            if (decision.pinned() > 0 && decision.pinned() != decision.champion()) {
                out.printf("  pinned:       v%d, which cannot be served (barred, or not in the registry), so the pin "
                    + "does not apply%n",
                    decision.pinned());
            }
            if (decision.promoted() > 0 && decision.mode() == RolloutMode.NONE) {
                out.printf("  note:         v%d was promoted, which counts only in rollout mode challenger or shadow;"
                    + " if serving runs in one, pass --rollout-mode%n", decision.promoted());
            }
            out.printf("  last change:  %s%n", decision.lastChange().isEmpty() ? "none" : decision.lastChange());
        }
    }

    @picocli.CommandLine.Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show one version: its part in serving, lineage, hyperparameters, metrics, input offsets and "
            + "Tribuo provenance.")
    static final class Show implements Callable<Integer> {
        @Mixin
        RegistryOptions registry = new RegistryOptions();

        @Mixin
        ServingOptions serving = new ServingOptions();

        @Parameters(index = "0", paramLabel = "VERSION", description = "Version number (e.g. 7 or v7).")
        String version;

        PrintStream out = System.out;

        @Override
        public Integer call() {
            ModelRegistry r = registry.read();
            ModelVersion mv = r.require(parseVersion(version));
            out.printf("Model '%s' v%d (%s)%s%n", mv.getModel(), mv.getVersion(), mv.getOrigin().name(),
                part(r, r.serving(serving.rolloutMode), mv.getVersion()));
            out.println("  published:     " + time(mv.getPublishedAtMs()));
            if (!mv.getNote().isEmpty()) {
                out.println("  note:          " + mv.getNote());
            }
            StringBuilder lineage = new StringBuilder();
            for (ModelVersion ancestor : r.lineage(mv.getVersion())) {
                lineage.append(lineage.length() == 0 ? "" : " <- ").append('v').append(ancestor.getVersion())
                    .append(ancestor.getOrigin() == ModelVersion.Origin.ONLINE ? ""
                        : " (" + ancestor.getOrigin() + ")");
            }
            long root = r.lineage(mv.getVersion()).get(r.lineage(mv.getVersion()).size() - 1).getParentVersion();
            out.println("  lineage:       " + lineage + (root > 0 ? " <- v" + root + " (not in the registry)" : ""));
            out.println("  examples seen: " + mv.getExamplesSeen());
            printLeftOut(mv.getMetricsMap());
            if (mv.hasSpec()) {
                out.printf("  model spec:    %s v%d (%s, sha256 %s), feature view %s v%d, label field '%s', task %s%n",
                    mv.getSpec().getName(), mv.getSpec().getVersion(), mv.getSpec().getSource(),
                    mv.getSpec().getSha256().substring(0, Math.min(12, mv.getSpec().getSha256().length())),
                    mv.getSpec().getFeatureView(), mv.getSpec().getFeatureViewVersion(), mv.getSpec().getLabelField(),
                    mv.getSpec().getTask());
            }
            out.println("  input offsets: " + new TreeMap<>(mv.getInputOffsetsMap()));
            ModelSchema schema = r.schemaOf(mv);
            int checkpointFeatures = schema != null && mv.getLearnerState().getFeatureNamesCount() == 0
                ? schema.getFeatureNamesCount() : mv.getLearnerState().getFeatureNamesCount();
            out.println("  checkpoint:    " + (mv.hasLearnerState()
                ? checkpointFeatures + " features, optimiser "
                    + mv.getLearnerState().getSettingsOrDefault("optimiser", "?") + " after "
                    + mv.getLearnerState().getOptimiserSteps() + " steps (a restarted trainer resumes from it)"
                : "none (the trainer keeps its checkpoint on the newest version only; or not made by a Freshet trainer)"));
            printMap("hyperparameters", new TreeMap<>(mv.getHyperparametersMap()));
            Map<String, String> metrics = new TreeMap<>();
            mv.getMetricsMap().forEach((k, v) -> metrics.put(k, figure(v)));
            printMap("metrics", metrics);
            if (!mv.getSchemaId().isEmpty()) {
                out.println("  schema:        " + mv.getSchemaId() + (schema == null
                    ? " (not in " + registry.topic(Topic.MODEL_SCHEMAS) + ")"
                    : " (" + schema.getTask() + ", outputs " + schema.getOutputsList() + ", "
                        + schema.getFeatureNamesCount() + " features)"));
            }
            printProvenance(mv, schema);
            return 0;
        }

        /** The examples read since the parent, and those the trainer left out and why (older versions do not say). */
        private void printLeftOut(Map<String, Double> metrics) {
            Double seen = metrics.get("examples_seen_since_parent");
            if (seen == null) {
                return;
            }
            StringBuilder reasons = new StringBuilder();
            new TreeMap<>(metrics).forEach((key, count) -> {
                if (key.startsWith("examples_skipped_") && key.endsWith("_since_parent")
                        && !key.equals("examples_skipped_since_parent")) {
                    reasons.append(reasons.length() == 0 ? " (" : ", ")
                        .append(key, "examples_skipped_".length(), key.length() - "_since_parent".length())
                        .append(' ').append(Math.round(count));
                }
            });
            out.printf("  since parent:  %d examples read, %d learned, %d left out%s%n", Math.round(seen),
                Math.round(metrics.getOrDefault("examples_since_parent", 0.0)),
                Math.round(metrics.getOrDefault("examples_skipped_since_parent", 0.0)),
                reasons.length() == 0 ? "" : reasons.append(')'));
        }

        private void printMap(String title, Map<String, String> map) {
            out.println("  " + title + ":");
            if (map.isEmpty()) {
                out.println("    (none)");
            }
            map.forEach((k, v) -> out.printf("    %-40s %s%n", k, v));
        }

        private void printProvenance(ModelVersion mv, ModelSchema schema) {
            ModelProvenance p;
            int features;
            int outputs;
            if (!mv.getSchemaId().isEmpty()) {
                // Packed: the provenance is stored on its own; the domains are the schema's.
                try {
                    p = (ModelProvenance) ProvenanceUtil.unmarshalProvenance(new ProtoProvenanceSerialization(false)
                        .deserializeFromProto(RootProvenanceProto.parseFrom(mv.getTribuoProvenance())));
                } catch (InvalidProtocolBufferException | RuntimeException e) {
                    out.println("  provenance:    (the Tribuo provenance could not be read: " + e.getMessage() + ")");
                    return;
                }
                features = schema == null ? -1 : schema.getFeatureNamesCount();
                outputs = schema == null ? -1 : schema.getOutputsCount();
            } else if (mv.getTribuoModel().isEmpty()) {
                out.println("  provenance:    (no Tribuo model)");
                return;
            } else {
                Model<?> model;
                try {
                    model = Model.deserialize(ModelProto.parseFrom(mv.getTribuoModel()));
                } catch (InvalidProtocolBufferException | RuntimeException e) {
                    out.println("  provenance:    (the Tribuo model could not be read: " + e.getMessage() + ")");
                    return;
                }
                p = model.getProvenance();
                features = model.getFeatureIDMap().size();
                outputs = model.getOutputIDInfo().size();
            }
            out.println("  provenance (Tribuo):");
            out.printf("    %-40s %s%n", "model class", p.getClassName());
            out.printf("    %-40s %s%n", "trained at", p.getTrainingTime());
            out.printf("    %-40s %s%n", "tribuo version", p.getTribuoVersion());
            out.printf("    %-40s %s%n", "trainer", p.getTrainerProvenance().getClassName());
            p.getTrainerProvenance().forEach(e -> {
                if (!e.getA().equals("class-name") && !e.getA().equals("host-short-name")) {
                    out.printf("      %-38s %s%n", e.getA(), e.getB());
                }
            });
            out.printf("    %-40s %s%n", "data", p.getDatasetProvenance().getSourceProvenance());
            out.printf("    %-40s %s%n", "domain", features < 0 ? "(its schema is missing)"
                : features + " features, " + outputs + " outputs");
            p.getInstanceProvenance().forEach(e -> out.printf("    %-40s %s%n", e.getA(), e.getB()));
        }
    }

    /** A version's part in what serving serves, as {@code list}'s status column says it; empty for none. */
    static String status(ModelRegistry r, ServingRule.Decision serving, long version) {
        if (r.isBarred(version)) {
            return "barred";
        }
        if (version == serving.champion()) {
            return serving.basis() == ServingRule.Basis.PINNED ? "serving, pinned" : "serving";
        }
        if (version == serving.challenger()) {
            return serving.mode() == RolloutMode.SHADOW ? "shadow" : "challenger";
        }
        return "";
    }

    /** The same for {@code show}'s first line, with the reason. */
    private static String part(ModelRegistry r, ServingRule.Decision serving, long version) {
        String mode = "rollout mode " + serving.mode().configName();
        return switch (status(r, serving, version)) {
            case "barred" -> " - BARRED by a rollback";
            case "" -> "";
            case "challenger" -> " - CHALLENGER of v" + serving.champion() + " (" + mode + ")";
            case "shadow" -> " - SHADOW of v" + serving.champion() + " (" + mode + ")";
            default -> " - SERVING (" + serving.explanation() + "; " + mode + ")";
        };
    }

    static long parseVersion(String text) {
        String digits = text.startsWith("v") || text.startsWith("V") ? text.substring(1) : text;
        try {
            long v = Long.parseLong(digits);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new LauncherException("'" + text + "' is not a version number; expected e.g. 7 or v7.");
    }

    private static String time(long epochMs) {
        return epochMs <= 0 ? "-" : Instant.ofEpochMilli(epochMs).toString().replaceFirst("\\.\\d+Z$", "Z");
    }

    static String figure(Double value) {
        if (value == null || value.isNaN()) {
            return "-";
        }
        return value == Math.rint(value) && Math.abs(value) >= 1 ? String.format(Locale.ROOT, "%.0f", value)
            : String.format(Locale.ROOT, "%.4f", value);
    }
}
