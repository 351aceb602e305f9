package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import com.google.protobuf.InvalidProtocolBufferException;
import com.oracle.labs.mlrg.olcut.config.protobuf.ProtoProvenanceSerialization;
import com.oracle.labs.mlrg.olcut.config.protobuf.protos.RootProvenanceProto;
import com.oracle.labs.mlrg.olcut.provenance.ProvenanceUtil;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.protos.core.ModelProto;
import org.tribuo.provenance.ModelProvenance;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code freshet models list|show|diff}: the model registry (the compacted models topic) for people. Read-only: no
 * consumer group, nothing committed; ROLLBACK commands are read too, to show which versions are barred.
 */
@picocli.CommandLine.Command(name = "models", mixinStandardHelpOptions = true,
    description = "Read the model registry (list versions, show one version's lineage and provenance, diff two) "
        + "and control a model's trainer (retrain, reset, pause, resume).",
    subcommands = {ModelsCommand.ListVersions.class, ModelsCommand.Show.class, ModelsCommand.Diff.class,
        ModelControlCommand.Retrain.class, ModelControlCommand.Reset.class, ModelControlCommand.Pause.class,
        ModelControlCommand.Resume.class})
public final class ModelsCommand {
    /** Where the registry is. */
    static final class RegistryOptions {
        @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster holding the registry.")
        String bootstrapServers;

        @Option(names = "--topics-prefix", defaultValue = "freshet.", paramLabel = "PREFIX",
            description = "The loop's topics prefix (default: ${DEFAULT-VALUE}).")
        String topicsPrefix;

        @Option(names = "--model", defaultValue = "default", paramLabel = "NAME",
            description = "Model whose versions to read (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--timeout", defaultValue = "30s", converter = DemoCommand.DurationConverter.class,
            paramLabel = "DURATION", description = "Give up reading after this long (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        Registry read() {
            try {
                return Registry.read(bootstrapServers, topicsPrefix, model, timeout);
            } catch (KafkaException e) {
                throw new LauncherException("Could not read " + topicsPrefix + "models at " + bootstrapServers + ": "
                    + e.getMessage(), e);
            }
        }
    }

    /** One model's versions and the versions barred by ROLLBACK commands. */
    record Registry(String model, TreeMap<Long, ModelVersion> versions, Set<Long> barredTargets,
                    Map<String, ModelSchema> schemas) {
        static Registry read(String bootstrap, String prefix, String model, Duration timeout) {
            TreeMap<Long, ModelVersion> versions = new TreeMap<>();
            Set<Long> barred = new HashSet<>();
            for (ConsumerRecord<String, byte[]> r : readAll(bootstrap, prefix + "models", timeout)) {
                if (r.value() == null) {
                    continue;
                }
                try {
                    ModelVersion mv = ModelVersion.parseFrom(r.value());
                    if (mv.getModel().equals(model)) {
                        versions.put(mv.getVersion(), mv);
                    }
                } catch (InvalidProtocolBufferException e) {
                    // Not a version: nothing a person can act on here; the trainer logs such records.
                }
            }
            for (ConsumerRecord<String, byte[]> r : readAll(bootstrap, prefix + "commands", timeout)) {
                if (r.value() == null) {
                    continue;
                }
                try {
                    Command c = Command.parseFrom(r.value());
                    String target = c.getModel().isEmpty() ? r.key() : c.getModel();
                    if (model.equals(target) && c.getType() == Command.Type.ROLLBACK) {
                        barred.add(c.getTargetVersion());
                    }
                } catch (InvalidProtocolBufferException e) {
                    // As above.
                }
            }
            return new Registry(model, versions, barred, readSchemas(bootstrap, prefix, model, timeout));
        }

        /** The schemas packed versions refer to; none when the topic does not exist (a registry before them). */
        private static Map<String, ModelSchema> readSchemas(String bootstrap, String prefix, String model,
                                                           Duration timeout) {
            Map<String, ModelSchema> schemas = new HashMap<>();
            List<ConsumerRecord<String, byte[]>> records;
            try {
                records = readAll(bootstrap, prefix + "model-schemas", timeout);
            } catch (LauncherException e) {
                return schemas;
            }
            for (ConsumerRecord<String, byte[]> r : records) {
                if (r.value() == null) {
                    continue;
                }
                try {
                    ModelSchema schema = ModelSchema.parseFrom(r.value());
                    if (schema.getModel().equals(model)) {
                        schemas.put(schema.getSchemaId(), schema);
                    }
                } catch (InvalidProtocolBufferException e) {
                    // As for versions.
                }
            }
            return schemas;
        }

        /** A packed version's schema, or null (a whole-model version, or a schema not in the topic). */
        ModelSchema schemaOf(ModelVersion mv) {
            return mv.getSchemaId().isEmpty() ? null : schemas.get(mv.getSchemaId());
        }

        /** Barred itself, or a descendant of a barred version (parent links), as serving and the trainer see it. */
        boolean isBarred(long version) {
            long current = version;
            for (int steps = 0; current > 0 && steps <= versions.size(); steps++) {
                if (barredTargets.contains(current)) {
                    return true;
                }
                ModelVersion mv = versions.get(current);
                if (mv == null || mv.getParentVersion() >= current) {
                    return false;
                }
                current = mv.getParentVersion();
            }
            return false;
        }

        long newestNotBarred() {
            for (long v : versions.descendingKeySet()) {
                if (!isBarred(v)) {
                    return v;
                }
            }
            return 0;
        }

        ModelVersion require(long version) {
            ModelVersion mv = versions.get(version);
            if (mv == null) {
                throw new LauncherException("Model '" + model + "' has no version " + version + " in the registry"
                    + (versions.isEmpty() ? " (it has none)." : "; it has v" + versions.firstKey() + " to v"
                    + versions.lastKey() + "."));
            }
            return mv;
        }

        /** The version, its parent, its parent's parent... as far as the registry holds them. */
        List<ModelVersion> lineage(long version) {
            List<ModelVersion> chain = new ArrayList<>();
            ModelVersion current = versions.get(version);
            while (current != null && chain.size() <= versions.size()) {
                chain.add(current);
                long parent = current.getParentVersion();
                current = parent > 0 && parent < current.getVersion() ? versions.get(parent) : null;
            }
            return chain;
        }

        private static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic, Duration timeout) {
            Map<String, Object> props = new HashMap<>();
            props.put("bootstrap.servers", bootstrap);
            props.put("enable.auto.commit", false);
            props.put("isolation.level", "read_committed");
            // A version or schema can be as large as the topics allow (TopicLayout: 64 MB).
            props.put("max.partition.fetch.bytes", 64 * 1024 * 1024);
            props.put("fetch.max.bytes", 64 * 1024 * 1024);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                     new ByteArrayDeserializer())) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
                if (infos == null || infos.isEmpty()) {
                    throw new LauncherException("Topic '" + topic + "' does not exist; check --topics-prefix.");
                }
                List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
                long deadline = System.nanoTime() + timeout.toNanos();
                while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < ends.get(tp))) {
                    if (System.nanoTime() > deadline) {
                        throw new LauncherException("Could not read " + topic + " to its end within " + timeout
                            + "; check the cluster or raise --timeout.");
                    }
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
            }
            return records;
        }
    }

    @picocli.CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
        description = "List a model's versions, oldest first: origin, parent, examples, metrics, status.")
    static final class ListVersions implements Callable<Integer> {
        @Mixin
        RegistryOptions registry = new RegistryOptions();

        PrintStream out = System.out;

        @Override
        public Integer call() {
            Registry r = registry.read();
            if (r.versions().isEmpty()) {
                out.printf("Model '%s' has no versions on %smodels.%n", r.model(), registry.topicsPrefix);
                return 0;
            }
            long serving = r.newestNotBarred();
            out.printf("Model '%s': %d version(s); serving picks v%d (the newest not barred).%n", r.model(),
                r.versions().size(), serving);
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
                String status = r.isBarred(mv.getVersion()) ? "barred" : mv.getVersion() == serving ? "serving" : "";
                out.printf("%-8s %-8s %-9s %-20s %9d %8s %8s %8s  %s%n", "v" + mv.getVersion(),
                    mv.getParentVersion() > 0 ? "v" + mv.getParentVersion() : "-", mv.getOrigin().name(),
                    time(mv.getPublishedAtMs()), mv.getExamplesSeen(), figure(m.get(columns.get(0))),
                    figure(m.get(columns.get(1))), regression ? "" : figure(m.get(columns.get(2))), status);
            }
            out.println((regression ? "mae, rmse" : "acc, auc, logloss")
                + ": prequential (test-then-train) over the examples since the parent version.");
            return 0;
        }
    }

    @picocli.CommandLine.Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show one version: lineage, hyperparameters, metrics, input offsets and Tribuo provenance.")
    static final class Show implements Callable<Integer> {
        @Mixin
        RegistryOptions registry = new RegistryOptions();

        @Parameters(index = "0", paramLabel = "VERSION", description = "Version number (e.g. 7 or v7).")
        String version;

        PrintStream out = System.out;

        @Override
        public Integer call() {
            Registry r = registry.read();
            ModelVersion mv = r.require(parseVersion(version));
            out.printf("Model '%s' v%d (%s)%s%n", mv.getModel(), mv.getVersion(), mv.getOrigin().name(),
                r.isBarred(mv.getVersion()) ? " - BARRED by a rollback" : "");
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
                : "none (not made by a Freshet trainer, or made before checkpoints)"));
            printMap("hyperparameters", new TreeMap<>(mv.getHyperparametersMap()));
            Map<String, String> metrics = new TreeMap<>();
            mv.getMetricsMap().forEach((k, v) -> metrics.put(k, figure(v)));
            printMap("metrics", metrics);
            if (!mv.getSchemaId().isEmpty()) {
                out.println("  schema:        " + mv.getSchemaId() + (schema == null
                    ? " (not in " + registry.topicsPrefix + "model-schemas)"
                    : " (" + schema.getTask() + ", outputs " + schema.getOutputsList() + ", "
                        + schema.getFeatureNamesCount() + " features)"));
            }
            printProvenance(mv, schema);
            return 0;
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

    @picocli.CommandLine.Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Compare two versions: hyperparameters, metrics and the features whose weights changed most.")
    static final class Diff implements Callable<Integer> {
        @Mixin
        RegistryOptions registry = new RegistryOptions();

        @Parameters(index = "0", paramLabel = "FROM", description = "The older version (e.g. 3).")
        String from;

        @Parameters(index = "1", paramLabel = "TO", description = "The newer version (e.g. 7).")
        String to;

        @Option(names = "--top", defaultValue = "10", paramLabel = "N",
            description = "How many of the most changed features to show (default: ${DEFAULT-VALUE}).")
        int top;

        PrintStream out = System.out;

        @Override
        public Integer call() {
            Registry r = registry.read();
            ModelVersion a = r.require(parseVersion(from));
            ModelVersion b = r.require(parseVersion(to));
            out.printf("Model '%s': v%d (%s, %d examples) -> v%d (%s, %d examples)%n", r.model(), a.getVersion(),
                a.getOrigin(), a.getExamplesSeen(), b.getVersion(), b.getOrigin(), b.getExamplesSeen());
            boolean related = r.lineage(b.getVersion()).stream().anyMatch(v -> v.getVersion() == a.getVersion());
            out.println(related ? "  v" + a.getVersion() + " is an ancestor of v" + b.getVersion() + "."
                : "  v" + a.getVersion() + " is not an ancestor of v" + b.getVersion() + " (different lineage).");

            out.println("  hyperparameters:");
            int changed = 0;
            for (String key : new TreeSet<>(union(a.getHyperparametersMap().keySet(),
                    b.getHyperparametersMap().keySet()))) {
                String va = a.getHyperparametersMap().getOrDefault(key, "(unset)");
                String vb = b.getHyperparametersMap().getOrDefault(key, "(unset)");
                if (!va.equals(vb)) {
                    out.printf("    %-40s %s -> %s%n", key, va, vb);
                    changed++;
                }
            }
            if (changed == 0) {
                out.println("    (identical)");
            }

            out.println("  metrics:");
            out.printf("    %-40s %12s %12s %12s%n", "", "v" + a.getVersion(), "v" + b.getVersion(), "change");
            for (String key : new TreeSet<>(union(a.getMetricsMap().keySet(), b.getMetricsMap().keySet()))) {
                Double va = a.getMetricsMap().get(key);
                Double vb = b.getMetricsMap().get(key);
                out.printf("    %-40s %12s %12s %12s%n", key, figure(va), figure(vb),
                    va == null || vb == null ? "" : String.format(Locale.ROOT, "%+.4f", vb - va));
            }

            Map<String, double[]> wa = weights(a, r.schemaOf(a));
            Map<String, double[]> wb = weights(b, r.schemaOf(b));
            if (wa == null || wb == null) {
                out.println("  weights: (one of the versions has no readable linear Tribuo model)");
                return 0;
            }
            printTopChanges(wa, wb, r.schemaOf(b) != null ? r.schemaOf(b).getOutputsList() : labels(b));
            return 0;
        }

        private void printTopChanges(Map<String, double[]> wa, Map<String, double[]> wb, List<String> labels) {
            record Change(String feature, String label, double before, double after) {
                double size() {
                    return Math.abs(after - before);
                }
            }
            List<Change> changes = new ArrayList<>();
            for (String feature : union(wa.keySet(), wb.keySet())) {
                double[] before = wa.get(feature);
                double[] after = wb.get(feature);
                Change biggest = null;
                for (int k = 0; k < labels.size(); k++) {
                    double x = before == null || k >= before.length ? 0.0 : before[k];
                    double y = after == null || k >= after.length ? 0.0 : after[k];
                    Change c = new Change(feature + (before == null ? " (new)" : after == null ? " (gone)" : ""),
                        labels.get(k), x, y);
                    if (biggest == null || c.size() > biggest.size()) {
                        biggest = c;
                    }
                }
                if (biggest != null) {
                    changes.add(biggest);
                }
            }
            changes.sort(Comparator.comparingDouble(Change::size).reversed());
            out.printf("  weights: %d features; the %d that changed most (raw feature scale, label with the largest "
                + "change):%n", changes.size(), Math.min(top, changes.size()));
            out.printf("    %-40s %-8s %12s %12s %12s%n", "feature", "label", "before", "after", "change");
            for (Change c : changes.subList(0, Math.min(top, changes.size()))) {
                out.printf(Locale.ROOT, "    %-40s %-8s %12.5f %12.5f %+12.5f%n", c.feature(), c.label(), c.before(),
                    c.after(), c.after() - c.before());
            }
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.LinkedHashSet<>(a);
        all.addAll(b);
        return all;
    }

    private static Model<?> tribuo(ModelVersion mv) {
        if (mv.getTribuoModel().isEmpty()) {
            return null;
        }
        try {
            return Model.deserialize(ModelProto.parseFrom(mv.getTribuoModel()));
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return null;
        }
    }

    private static List<String> labels(ModelVersion mv) {
        Model<?> model = tribuo(mv);
        if (model == null) {
            return List.of();
        }
        String[] labels = new String[model.getOutputIDInfo().size()];
        for (var entry : model.getOutputIDInfo()) {
            labels[entry.getA()] = ((Label) entry.getB()).getLabel();
        }
        return List.of(labels);
    }

    /**
     * Weights per feature name, one per output id; null if the model is not a linear classifier (or is packed and
     * its schema is missing or does not fit).
     */
    private static Map<String, double[]> weights(ModelVersion mv, ModelSchema schema) {
        if (!mv.getSchemaId().isEmpty()) {
            return schema == null ? null : packedWeights(mv, schema);
        }
        if (!(tribuo(mv) instanceof LinearSGDModel linear)) {
            return null;
        }
        DenseMatrix matrix = linear.getWeightsCopy();
        Map<String, double[]> weights = new LinkedHashMap<>();
        int outputs = linear.getOutputIDInfo().size();
        for (int id = 0; id < linear.getFeatureIDMap().size(); id++) {
            double[] w = new double[outputs];
            for (int k = 0; k < outputs; k++) {
                w[k] = matrix.get(k, id);
            }
            weights.put(linear.getFeatureIDMap().get(id).getName(), w);
        }
        return weights;
    }

    /** A packed version's weights: columns follow the schema's feature names sorted (registry.proto). */
    private static Map<String, double[]> packedWeights(ModelVersion mv, ModelSchema schema) {
        List<String> sorted = new ArrayList<>(schema.getFeatureNamesList());
        sorted.sort(null);
        int n = sorted.size();
        int outputs = schema.getOutputsCount();
        if (mv.getWeightsCount() != outputs * n) {
            return null;
        }
        Map<String, double[]> weights = new LinkedHashMap<>();
        for (int col = 0; col < n; col++) {
            double[] w = new double[outputs];
            for (int k = 0; k < outputs; k++) {
                w[k] = mv.getWeights(k * n + col);
            }
            weights.put(sorted.get(col), w);
        }
        return weights;
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

    private static String figure(Double value) {
        if (value == null || value.isNaN()) {
            return "-";
        }
        return value == Math.rint(value) && Math.abs(value) >= 1 ? String.format(Locale.ROOT, "%.0f", value)
            : String.format(Locale.ROOT, "%.4f", value);
    }
}
