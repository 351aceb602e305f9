package dev.freshet.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.ToLongFunction;
import java.util.function.Supplier;

import com.yahoo.labs.samoa.instances.Attribute;
import com.yahoo.labs.samoa.instances.DenseInstance;
import com.yahoo.labs.samoa.instances.Instance;
import com.yahoo.labs.samoa.instances.Instances;
import com.yahoo.labs.samoa.instances.InstancesHeader;
import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.FeatureEncoding;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.trainer.OnlineClassifier;
import dev.freshet.trainer.OnlineModel;
import dev.freshet.trainer.Trainer;
import moa.classifiers.AbstractClassifier;
import moa.classifiers.functions.SGD;
import moa.classifiers.trees.HoeffdingTree;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Prequential accuracy and examples per second of Freshet's learner against MOA's SGD and Hoeffding Tree, on the
 * same examples in the same (file) order, in one run: Elec2, NOAA weather (Nebraska) and UCI Bank Marketing
 * (without {@code duration}, which leaks the label).
 *
 * <p>In-process, like for like: MOA's learners and Freshet's ({@link OnlineClassifier}, the trainer's learner
 * without Kafka) each learn from examples built beforehand (MOA instances; Freshet feature-id arrays, or name maps
 * for the by-name row), test then train, a fresh learner per pass. After untimed warm-up passes the learners take
 * turns, pass by pass, so that the machine's noise falls on all of them alike; the figure is the median pass, in
 * examples per second of the benchmark thread's CPU time (JIT compilation and garbage collection run on other
 * threads, which favours MOA, whose learners allocate per example).
 *
 * <p>Through Kafka, as deployed (a separate row): the examples are on a Kafka topic of an embedded broker before
 * the trainer starts, and its rate is examples learned per second once the first batch arrived, so it includes
 * reading from Kafka, decoding protobuf and publishing versions (every 5,000 examples, in Kafka transactions). Its
 * accuracy is the examples-weighted mean of the prequential accuracy each published version reports over the
 * examples since its parent.
 */
public final class TrainerBench {
    private static final Path DATA = BenchReport.sharedData();
    private static final int PUBLISH_EVERY = 5_000;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final int WARM_UP_PASSES = 3;
    private static final int TIMED_PASSES = 7;

    /** A dataset in file order: attribute kinds, nominal domains, the label's values (positive last). */
    private record Table(String name, List<String> columns, boolean[] nominal, List<List<String>> domains,
                         List<String[]> rows, List<String> labels) {
        int width() {
            return columns.size();
        }
    }

    /** One learner's result on one dataset. */
    private record Result(String learner, double accuracy, double examplesPerSecond, long examples) {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.dev.freshet", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
        System.setProperty("org.slf4j.simpleLogger.log.kafka", "error");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.clients", "error");
        BenchReport report = new BenchReport("TrainerBench", args);
        List<Table> tables = new ArrayList<>();
        Path elec = DATA.resolve("elecNormNew.arff");
        Path noaa = DATA.resolve("noaa_weather_nebraska.csv");
        Path bank = DATA.resolve("bank_additional_full_trimmed.csv");
        for (Path p : List.of(elec, noaa, bank)) {
            if (!Files.exists(p)) {
                System.err.println("TrainerBench needs " + p + " (see MANIFEST.md there; set -Dfreshet.data=DIR to read it elsewhere); it is absent.");
                System.exit(2);
            }
        }
        tables.add(arff("Elec2 (elecNormNew.arff)", elec, "class", List.of("DOWN", "UP")));
        tables.add(csv("NOAA weather, Nebraska", noaa, "rain", Set.of(), Set.of(), List.of("0", "1")));
        tables.add(csv("Bank marketing (no duration)", bank, "y",
            Set.of("job", "marital", "education", "default", "housing", "loan"), Set.of("duration"),
            List.of("0", "1")));

        report.line("Prequential (test-then-train) accuracy and throughput on the same examples in file order.");
        report.line("In-process (one JVM, examples built beforehand, test then train, a fresh learner per pass; "
            + "%d untimed warm-up passes, then %d timed passes taken in turns by all in-process learners, median "
            + "reported; examples per second of the benchmark thread's CPU time, since on this shared machine a "
            + "pass's wall-clock time is mostly other processes' turn on the cores): MOA 2024.07.0 SGD with its defaults (hinge, learning rate 1e-4, lambda 1e-4), SGD with log "
            + "loss and rate 0.01, HoeffdingTree with its defaults; Freshet's learner (`OnlineClassifier`, the "
            + "trainer's learner without Kafka) with the trainer's defaults (logistic loss, AdaGrad 0.5, L2 1e-5, "
            + "online standardisation; categorical columns one-hot), fed feature ids (allocation-free path) or "
            + "feature names, and with `trainer.optimiser=adam`; and `OnlineModel`, the trainer's own test-then-train "
            + "on the TrainingExample records the feature store emits (what a backtest runs), on records built "
            + "beforehand.",
            WARM_UP_PASSES, TIMED_PASSES);
        report.line("Through Kafka (a separate row, not comparable in speed, and timed by the wall clock): the "
            + "trainer as deployed, reading a Kafka topic (embedded broker) and publishing a version every %d examples "
            + "in Kafka transactions.",
            PUBLISH_EVERY);
        report.line("Previous label: predict the label of the example before (no learner). Ratios are against MOA "
            + "SGD (defaults) in this run; the machine (2 cores) is shared with other builds, so throughput is noisy; "
            + "accuracies are exact and repeatable.");
        report.line("");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            // Untimed: brings the trainer's and the Kafka clients' code to the JIT's steady state.
            freshet("warm-up", tables.get(0), broker, Map.of());
            for (Table table : tables) {
                List<Pass> passes = new ArrayList<>();
                passes.add(moa("MOA SGD (defaults)", table, SGD::new));
                passes.add(moa("MOA SGD (log loss, rate 0.01)", table, () -> {
                    SGD logistic = new SGD();
                    logistic.lossFunctionOption.setChosenIndex(1);
                    logistic.learningRateOption.setValue(0.01);
                    return logistic;
                }));
                passes.add(moa("MOA HoeffdingTree", table, HoeffdingTree::new));
                passes.add(inProcessById("Freshet learner in-process, by feature id (adagrad)", table, Map.of()));
                passes.add(inProcessByName("Freshet learner in-process, by feature name (adagrad)", table, Map.of()));
                passes.add(onlineModel("Freshet OnlineModel in-process, on TrainingExample records (adagrad)",
                    table));
                passes.add(inProcessById("Freshet learner in-process, by feature id (adam)", table,
                    Map.of("trainer.optimiser", "adam")));
                List<Result> results = timeInTurns(passes);
                results.add(freshet("Freshet trainer through Kafka (adagrad)", table, broker, Map.of()));
                results.add(previousLabel(table));
                Result base = results.get(0);
                report.line("### %s: %d examples, %d attributes, labels %s", table.name(), table.rows().size(),
                    table.width() - 1, table.labels());
                report.line("");
                report.line("| learner | prequential accuracy | examples/s | accuracy - MOA SGD | speed / MOA SGD |");
                report.line("|---|---|---|---|---|");
                for (Result r : results) {
                    if (Double.isNaN(r.examplesPerSecond())) {
                        report.line("| %s | %.4f | - | %+.4f | - |", r.learner(), r.accuracy(),
                            r.accuracy() - base.accuracy());
                    } else {
                        report.line("| %s | %.4f | %,.0f | %+.4f | %.2f |", r.learner(), r.accuracy(),
                            r.examplesPerSecond(), r.accuracy() - base.accuracy(),
                            r.examplesPerSecond() / base.examplesPerSecond());
                    }
                }
                report.line("");
            }
        }
        report.line("Reference (river's benchmark, Elec2, all 8 features): logistic regression 0.822, Hoeffding "
            + "Adaptive Tree 0.821, Adaptive Random Forest 0.877; predicting the previous label 0.853.");
        report.write();
        // Kafka's and the broker's non-daemon threads would keep the JVM alive.
        System.exit(0);
    }

    private static Table arff(String name, Path file, String labelColumn, List<String> labels) throws IOException {
        List<String> columns = new ArrayList<>();
        List<Boolean> nominal = new ArrayList<>();
        List<List<String>> domains = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        boolean data = false;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("%")) {
                continue;
            }
            if (data) {
                rows.add(t.split(","));
            } else if (t.toLowerCase().startsWith("@attribute")) {
                String rest = t.substring("@attribute".length()).trim();
                int space = rest.indexOf(' ');
                columns.add(rest.substring(0, space));
                String type = rest.substring(space).trim();
                boolean isNominal = type.startsWith("{");
                nominal.add(isNominal);
                domains.add(isNominal ? List.of(type.substring(1, type.length() - 1).split("\\s*,\\s*"))
                    : List.of());
            } else if (t.toLowerCase().startsWith("@data")) {
                data = true;
            }
        }
        return finish(name, columns, nominal, domains, rows, labelColumn, labels);
    }

    private static Table csv(String name, Path file, String labelColumn, Set<String> categorical, Set<String> drop,
                             List<String> labels) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String[] header = lines.get(0).split(",");
        List<Integer> kept = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < header.length; i++) {
            if (!drop.contains(header[i])) {
                kept.add(i);
                columns.add(header[i]);
            }
        }
        List<String[]> rows = new ArrayList<>();
        List<Set<String>> seen = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            seen.add(new TreeSet<>());
        }
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] all = line.split(",", -1);
            String[] row = new String[kept.size()];
            for (int c = 0; c < kept.size(); c++) {
                row[c] = all[kept.get(c)].trim();
                seen.get(c).add(row[c]);
            }
            rows.add(row);
        }
        List<Boolean> nominal = new ArrayList<>();
        List<List<String>> domains = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            boolean isNominal = categorical.contains(columns.get(c)) || columns.get(c).equals(labelColumn);
            nominal.add(isNominal);
            domains.add(isNominal ? List.copyOf(seen.get(c)) : List.of());
        }
        return finish(name, columns, nominal, domains, rows, labelColumn, labels);
    }

    /** Moves the label to the last column and fixes its value order. */
    private static Table finish(String name, List<String> columns, List<Boolean> nominal, List<List<String>> domains,
                                List<String[]> rows, String labelColumn, List<String> labels) {
        int label = columns.indexOf(labelColumn);
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            if (c != label) {
                order.add(c);
            }
        }
        order.add(label);
        List<String> cols = new ArrayList<>();
        boolean[] nom = new boolean[order.size()];
        List<List<String>> doms = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            cols.add(columns.get(order.get(i)));
            nom[i] = nominal.get(order.get(i));
            doms.add(i == order.size() - 1 ? labels : domains.get(order.get(i)));
        }
        List<String[]> reordered = new ArrayList<>(rows.size());
        for (String[] row : rows) {
            String[] r = new String[order.size()];
            for (int i = 0; i < order.size(); i++) {
                r[i] = row[order.get(i)];
            }
            reordered.add(r);
        }
        return new Table(name, cols, nom, doms, reordered, labels);
    }

    /**
     * An in-process learner on one table. {@code run} makes a fresh learner, tests then trains it on every example,
     * stores the loop's nanoseconds in its argument and returns the number of correct predictions.
     */
    private record Pass(String name, int examples, ToLongFunction<long[]> run) {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * CPU time of the benchmark thread: on a shared machine, wall-clock time of a pass of a few milliseconds is
     * mostly how long other processes held the cores.
     */
    private static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** Warm-up passes for each learner, then timed passes in turns; the median pass's rate. */
    private static List<Result> timeInTurns(List<Pass> passes) {
        long[] nanos = new long[1];
        long[] correct = new long[passes.size()];
        for (int w = 0; w < WARM_UP_PASSES; w++) {
            for (int i = 0; i < passes.size(); i++) {
                correct[i] = passes.get(i).run().applyAsLong(nanos);
            }
        }
        double[][] rates = new double[passes.size()][TIMED_PASSES];
        for (int t = 0; t < TIMED_PASSES; t++) {
            for (int i = 0; i < passes.size(); i++) {
                long c = passes.get(i).run().applyAsLong(nanos);
                if (c != correct[i]) {
                    throw new IllegalStateException(passes.get(i).name() + " is not deterministic");
                }
                rates[i][t] = passes.get(i).examples() / (nanos[0] / 1e9);
            }
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < passes.size(); i++) {
            double[] r = rates[i].clone();
            Arrays.sort(r);
            Pass p = passes.get(i);
            results.add(new Result(p.name(), (double) correct[i] / p.examples(), r[r.length / 2], p.examples()));
        }
        return results;
    }

    private static Pass moa(String learnerName, Table table, Supplier<AbstractClassifier> learners) {
        List<Attribute> attributes = new ArrayList<>();
        for (int c = 0; c < table.width(); c++) {
            attributes.add(table.nominal()[c] ? new Attribute(table.columns().get(c), table.domains().get(c))
                : new Attribute(table.columns().get(c)));
        }
        Instances header = new Instances(table.name(), attributes, 0);
        header.setClassIndex(table.width() - 1);
        List<Instance> instances = new ArrayList<>(table.rows().size());
        for (String[] row : table.rows()) {
            double[] values = new double[table.width()];
            for (int c = 0; c < table.width(); c++) {
                values[c] = table.nominal()[c] ? table.domains().get(c).indexOf(row[c]) : Double.parseDouble(row[c]);
            }
            Instance instance = new DenseInstance(1.0, values);
            instance.setDataset(header);
            instances.add(instance);
        }
        return new Pass(learnerName, instances.size(), nanos -> {
            AbstractClassifier learner = learners.get();
            learner.setModelContext(new InstancesHeader(header));
            learner.prepareForUse();
            long correct = 0;
            long start = cpuNanos();
            for (Instance instance : instances) {
                if (learner.correctlyClassifies(instance)) {
                    correct++;
                }
                learner.trainOnInstance(instance);
            }
            nanos[0] = cpuNanos() - start;
            return correct;
        });
    }

    /**
     * A row's features as the platform encodes them ({@link FeatureEncoding}: a number is its value, a nominal cell
     * the one-hot feature {@code column=value}), label left out, put into {@code features} in column order.
     */
    private static Map<String, Double> features(Table table, String[] row, Map<String, Double> features) {
        for (int c = 0; c < table.width() - 1; c++) {
            FeatureEncoding.encode(table.columns().get(c), table.nominal()[c] ? row[c] : Double.parseDouble(row[c]),
                features);
        }
        return features;
    }

    private static OnlineClassifier classifier(Table table, Map<String, String> extra) {
        Map<String, Object> props = new HashMap<>(extra);
        props.put("trainer.labels", String.join(",", table.labels()));
        return OnlineClassifier.create(props);
    }

    /**
     * Freshet's learner on feature-id arrays. Ids are a property of one classifier, so each pass registers the
     * feature names of the table (in order of first appearance, as a stream would) on its fresh classifier before
     * the timed loop, as MOA's instances are built before its loop; registering a name changes no prediction.
     */
    private static Pass inProcessById(String learnerName, Table table, Map<String, String> extra) {
        int n = table.rows().size();
        int width = table.width() - 1;
        String[][] names = new String[n][width];
        double[][] values = new double[n][width];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            String[] row = table.rows().get(i);
            int c = 0;
            for (Map.Entry<String, Double> feature : features(table, row, new LinkedHashMap<>()).entrySet()) {
                names[i][c] = feature.getKey();
                values[i][c] = feature.getValue();
                c++;
            }
            labels[i] = table.labels().indexOf(row[width]);
        }
        return new Pass(learnerName, n, nanos -> {
            OnlineClassifier classifier = classifier(table, extra);
            int[][] ids = new int[n][width];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < width; c++) {
                    ids[i][c] = classifier.featureId(names[i][c]);
                }
            }
            long correct = 0;
            long start = cpuNanos();
            for (int i = 0; i < n; i++) {
                if (classifier.testThenTrain(ids[i], values[i], width, labels[i]) == labels[i]) {
                    correct++;
                }
            }
            nanos[0] = cpuNanos() - start;
            return correct;
        });
    }

    /** Freshet's learner on name-to-value maps, as the trainer gets them from a training example. */
    private static Pass inProcessByName(String learnerName, Table table, Map<String, String> extra) {
        int n = table.rows().size();
        int width = table.width() - 1;
        List<Map<String, Double>> examples = new ArrayList<>(n);
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            String[] row = table.rows().get(i);
            examples.add(features(table, row, new HashMap<>()));
            labels[i] = row[width];
        }
        return new Pass(learnerName, n, nanos -> {
            OnlineClassifier classifier = classifier(table, extra);
            long correct = 0;
            long start = cpuNanos();
            for (int i = 0; i < n; i++) {
                if (classifier.testThenTrain(examples.get(i), labels[i]).equals(labels[i])) {
                    correct++;
                }
            }
            nanos[0] = cpuNanos() - start;
            return correct;
        });
    }

    /**
     * {@link OnlineModel}, the trainer's own test-then-train on the records the feature store emits, as a backtest
     * runs it: the records are built beforehand, as MOA's instances are.
     */
    private static Pass onlineModel(String learnerName, Table table) {
        int n = table.rows().size();
        List<TrainingExample> examples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            examples.add(example(table, table.rows().get(i), i));
        }
        Map<String, Object> props = Map.of("trainer.labels", String.join(",", table.labels()));
        return new Pass(learnerName, n, nanos -> {
            OnlineModel model = OnlineModel.create(props);
            long correct = 0;
            long start = cpuNanos();
            for (TrainingExample example : examples) {
                OnlineModel.Outcome outcome = model.testThenTrain(example);
                if (outcome.learned() && outcome.predictedLabel().equals(example.getLabel())) {
                    correct++;
                }
            }
            nanos[0] = cpuNanos() - start;
            return correct;
        });
    }

    /** Predicting the previous example's label (the first example counts as wrong). */
    private static Result previousLabel(Table table) {
        int width = table.width() - 1;
        String previous = null;
        long correct = 0;
        for (String[] row : table.rows()) {
            if (row[width].equals(previous)) {
                correct++;
            }
            previous = row[width];
        }
        return new Result("Previous label (no learner)", (double) correct / table.rows().size(), Double.NaN,
            table.rows().size());
    }

    private static Result freshet(String learnerName, Table table, EmbeddedKafkaBroker broker,
                                  Map<String, String> extra) throws Exception {
        TopicLayout layout = new TopicLayout("bench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
        BenchTopics.create(clients, layout, Topic.TRAINING_EXAMPLES, Topic.MODELS, Topic.COMMANDS);
        int n = table.rows().size();
        String examples = layout.name(Topic.TRAINING_EXAMPLES);
        CheckedSends sends = new CheckedSends("the training examples to " + examples);
        // One request in flight: the embedded broker on this loaded machine has answered a retried first batch with
        // OUT_OF_ORDER_SEQUENCE_NUMBER when several were in flight.
        try (KafkaProducer<byte[], byte[]> producer = clients.idempotentProducer(null, Map.of("linger.ms", 20,
                "batch.size", 262_144, "max.in.flight.requests.per.connection", 1), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                sends.send(producer, new ProducerRecord<>(examples, null,
                    example(table, table.rows().get(i), i).toByteArray()));
            }
            sends.flushAndCheck(producer);
        }
        Map<String, Object> props = new HashMap<>(extra);
        props.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, clients.bootstrapServers());
        props.put(CommonConfig.TOPICS_PREFIX_CONFIG, layout.prefix());
        props.put("trainer.labels", String.join(",", table.labels()));
        props.put("trainer.publish.every.examples", PUBLISH_EVERY);
        props.put("trainer.publish.interval.ms", 200L);
        long seenAtStart;
        long start;
        long end;
        try (Trainer trainer = Trainer.start(props)) {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (trainer.stats().examplesSeen() == 0) {
                check(deadline, learnerName);
                // A busy wait would take one of the two cores from the trainer.
                Thread.sleep(1);
            }
            start = System.nanoTime();
            seenAtStart = trainer.stats().examplesSeen();
            while (trainer.stats().examplesSeen() + trainer.stats().totalSkipped() < n) {
                check(deadline, learnerName);
                // A busy wait would take one of the two cores from the trainer.
                Thread.sleep(1);
            }
            end = System.nanoTime();
            while (trainer.stats().currentVersion() == 0
                    || newestExamples(clients, layout) < trainer.stats().examplesSeen()) {
                check(deadline, learnerName);
                Thread.sleep(50);
            }
        }
        long correct = 0;
        long counted = 0;
        for (ModelVersion v : versions(clients, layout)) {
            long since = Math.round(v.getMetricsMap().getOrDefault("examples_since_parent", 0.0));
            Double accuracy = v.getMetricsMap().get("prequential_accuracy_since_parent");
            if (since > 0 && accuracy != null) {
                correct += Math.round(accuracy * since);
                counted += since;
            }
        }
        return new Result(learnerName, (double) correct / counted, (n - seenAtStart) / ((end - start) / 1e9), counted);
    }

    private static void check(long deadline, String what) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException(what + " did not finish within " + TIMEOUT);
        }
    }

    private static TrainingExample example(Table table, String[] row, int i) {
        return TrainingExample.newBuilder().setRequestId("r-" + i).setLabel(row[table.width() - 1])
            .setLabelArrivedAtMs(i).putAllFeatures(features(table, row, new LinkedHashMap<>())).build();
    }

    private static long newestExamples(KafkaClients clients, TopicLayout layout) {
        long newest = 0;
        for (ModelVersion v : versions(clients, layout)) {
            newest = Math.max(newest, v.getExamplesSeen());
        }
        return newest;
    }

    private static List<ModelVersion> versions(KafkaClients clients, TopicLayout layout) {
        Map<Long, ModelVersion> versions = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = clients.committedReader(null,
                 Map.of("max.partition.fetch.bytes", 16 * 1024 * 1024), new StringDeserializer(),
                 new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(layout.name(Topic.MODELS), 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long endOffset = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < endOffset) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        ModelVersion v = ModelVersion.parseFrom(r.value());
                        versions.put(v.getVersion(), v);
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return new ArrayList<>(new LinkedHashSet<>(versions.values()));
    }

    private TrainerBench() {
    }
}
