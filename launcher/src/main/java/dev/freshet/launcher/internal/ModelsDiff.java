package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.protos.core.ModelProto;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code freshet models diff FROM TO}: two versions' hyperparameters, metrics and most changed weights. */
@picocli.CommandLine.Command(name = "diff", mixinStandardHelpOptions = true,
    description = "Compare two versions: hyperparameters, metrics and the features whose weights changed most.")
final class ModelsDiff implements Callable<Integer> {
    @Mixin
    ModelsCommand.RegistryOptions registry = new ModelsCommand.RegistryOptions();

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
        ModelRegistry r = registry.read();
        ModelVersion a = r.require(ModelsCommand.parseVersion(from));
        ModelVersion b = r.require(ModelsCommand.parseVersion(to));
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
            out.printf("    %-40s %12s %12s %12s%n", key, ModelsCommand.figure(va), ModelsCommand.figure(vb),
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

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new LinkedHashSet<>(a);
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
}
