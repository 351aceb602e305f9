package dev.freshet.launcher.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.freshet.contracts.Topic;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureViewRegistry;
import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse.AppliedView;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.DescribeFeatureViewResponse;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code freshet features apply|list|describe}: the feature view registry (the compacted {@code feature-views}
 * topic) for data scientists. {@code apply} validates the file locally first, then writes straight to the registry
 * topic through the feature store's {@link FeatureViewRegistry}, the same validation the gRPC
 * {@code ApplyFeatureViews} uses; every running feature store picks the change up from the topic. It also tries the
 * file's views on the newest events first, with the store's own parsing, so that a view that would dead-letter the
 * stream is seen before its backfill does it.
 */
@picocli.CommandLine.Command(name = "features", mixinStandardHelpOptions = true,
    description = "Register feature views and read the registry: apply a YAML file, list views, describe one.",
    subcommands = {FeaturesCommand.Apply.class, FeaturesCommand.ListViews.class, FeaturesCommand.Describe.class})
public final class FeaturesCommand {
    /** Where the registry is. */
    static final class RegistryOptions {
        @Mixin
        ClusterOptions cluster;

        @Option(names = "--timeout", defaultValue = "30s", converter = DemoCommand.DurationConverter.class,
            paramLabel = "DURATION", description = "Give up reaching the registry after this long (default: "
            + "${DEFAULT-VALUE}).")
        Duration timeout;

        /** The registry topic's name, for messages. */
        String topic() {
            return cluster.topics().name(Topic.FEATURE_VIEWS);
        }

        List<FeatureViewRecord> list() {
            try {
                return FeatureViewRegistry.list(cluster.config(), timeout);
            } catch (FeatureStoreException e) {
                throw new LauncherException(e.getMessage(), e);
            }
        }
    }

    @picocli.CommandLine.Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Validate a YAML file of feature views (one view, a views: list, or several documents) and "
            + "register a new version of each view whose definition changed, all or none.")
    static final class Apply implements Callable<Integer> {
        @Mixin
        RegistryOptions registry;

        @Parameters(index = "0", paramLabel = "FILE", description = "The YAML file of feature views.")
        Path file;

        @Option(names = "--dry-run", description = "Validate against the registry and say what would change, and "
            + "how many of the newest events each view would dead-letter and why; register nothing.")
        boolean dryRun;

        @Option(names = "--sample", defaultValue = "1000", paramLabel = "N", description = "Try the views on the "
            + "newest N committed events of each partition of the events topic (at most "
            + FeatureViewRegistry.MAX_SAMPLE_EVENTS_PER_PARTITION + "; 0 skips it): --dry-run reports every view, "
            + "an apply warns about a view that would dead-letter most of them (default: ${DEFAULT-VALUE}).")
        int sample;

        @Option(names = "--applied-by", paramLabel = "NAME", description = "Recorded with each new version "
            + "(default: the user name).")
        String appliedBy;

        @Override
        public Integer call() {
            if (sample < 0 || sample > FeatureViewRegistry.MAX_SAMPLE_EVENTS_PER_PARTITION) {
                throw new LauncherException("--sample " + sample + " is out of range; give from 0 (no sample) to "
                    + FeatureViewRegistry.MAX_SAMPLE_EVENTS_PER_PARTITION + " events per partition.");
            }
            PrintStream out = System.out;
            String yaml;
            try {
                yaml = Files.readString(file);
            } catch (IOException e) {
                throw new LauncherException("Cannot read " + file + ": " + e.getMessage(), e);
            }
            String who = appliedBy != null ? appliedBy : System.getProperty("user.name", "unknown");
            ApplyFeatureViewsResponse response;
            try {
                // Locally first: a refused file never needs the cluster.
                FeatureViewRegistry.validate(yaml, file.toString());
                response = FeatureViewRegistry.apply(registry.cluster.config(), yaml, file.toString(), who, dryRun,
                    registry.timeout);
            } catch (InvalidFeatureViewException e) {
                throw new LauncherException(refusal(file, e.problems()), e);
            } catch (FeatureStoreException e) {
                throw new LauncherException(e.getMessage(), e);
            }
            int created = 0;
            int updated = 0;
            int unchanged = 0;
            for (AppliedView view : response.getViewsList()) {
                String change = switch (view.getChange()) {
                    case CREATED -> {
                        created++;
                        yield dryRun ? "would be created" : "created";
                    }
                    case UPDATED -> {
                        updated++;
                        yield (dryRun ? "would be updated" : "updated") + " (was v" + (view.getVersion() - 1) + ")"
                            + (view.getState() == FeatureViewRecord.State.BACKFILLING
                                ? ", backfilling while v" + (view.getVersion() - 1) + " serves" : "");
                    }
                    default -> {
                        unchanged++;
                        yield "unchanged";
                    }
                };
                out.printf(Locale.ROOT, "  %-24s v%-4d %s%n", view.getName(), view.getVersion(), change);
            }
            out.printf(Locale.ROOT, "%s %s to %s: %d created, %d updated, %d unchanged.%n",
                dryRun ? "Checked" : "Applied", file, registry.topic(), created, updated, unchanged);
            if (sample > 0) {
                EventSamples.report(registry.cluster, yaml, file.toString(), sample, registry.timeout, dryRun, out,
                    System.err);
            }
            return 0;
        }

        static String refusal(Path file, List<String> problems) {
            StringBuilder message = new StringBuilder(file + " is refused (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + "); nothing was registered:");
            problems.forEach(p -> message.append(System.lineSeparator()).append("  ").append(p));
            return message.toString();
        }
    }

    /** How the views of a file fare on a sample of the newest events, as {@code apply} reports it. */
    static final class EventSamples {
        private EventSamples() {
        }

        /**
         * With {@code everyView}, a line per view and per reason to {@code out}; else a warning to {@code err} for each
         * view that would dead-letter most sampled events. A sample that cannot be taken is said, never fatal: the
         * file was valid.
         */
        static void report(ClusterOptions cluster, String yaml, String source, int perPartition, Duration timeout,
                boolean everyView, PrintStream out, PrintStream err) {
            String topic = cluster.topics().name(Topic.EVENTS);
            List<FeatureViewRegistry.EventSample> samples;
            try {
                samples = FeatureViewRegistry.sample(cluster.config(), yaml, source, perPartition, timeout);
            } catch (FeatureStoreException e) {
                (everyView ? out : err).println((everyView ? "" : "warning: ") + "could not sample the events: "
                    + e.getMessage());
                return;
            }
            long events = samples.isEmpty() ? 0 : samples.get(0).events();
            if (everyView) {
                out.printf(Locale.ROOT, "Sampled %,d events (the newest %,d of each partition of %s):%n", events,
                    perPartition, topic);
                if (events == 0) {
                    out.println("  no event to try the views on.");
                }
            }
            for (FeatureViewRegistry.EventSample sample : samples) {
                if (events == 0) {
                    break;
                }
                if (everyView) {
                    out.printf(Locale.ROOT, "  %-24s would dead-letter %,d of %,d (%s)%n", sample.view(),
                        sample.deadLetteredCount(), events, percent(sample.deadLetteredCount(), events));
                    sample.deadLettered().forEach((reason, refusals) -> out.printf(Locale.ROOT,
                        "    %-24s %,d, e.g. %s%n", reason, refusals.count(), refusals.example()));
                } else if (sample.mostDeadLettered()) {
                    err.printf(Locale.ROOT, "warning: view '%s' would dead-letter %,d of the %,d newest events of %s "
                        + "(%s): %s; check its entity, event time and fields against the events (freshet features "
                        + "apply --dry-run shows every reason).%n", sample.view(), sample.deadLetteredCount(), events,
                        topic, percent(sample.deadLetteredCount(), events), reasons(sample));
                }
            }
        }

        private static String reasons(FeatureViewRegistry.EventSample sample) {
            List<String> parts = new ArrayList<>();
            sample.deadLettered().forEach((reason, refusals) -> parts.add(String.format(Locale.ROOT,
                "%s %,d, e.g. %s", reason, refusals.count(), refusals.example())));
            return String.join("; ", parts);
        }

        private static String percent(long part, long whole) {
            return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
        }
    }

    @picocli.CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the registered feature views: version, state, when and by whom applied.")
    static final class ListViews implements Callable<Integer> {
        @Mixin
        RegistryOptions registry;

        @Override
        public Integer call() {
            List<FeatureViewRecord> views = registry.list();
            PrintStream out = System.out;
            if (views.isEmpty()) {
                out.println("No feature view is registered in " + registry.topic() + "; register "
                    + "one with freshet features apply FILE.");
                return 0;
            }
            out.printf(Locale.ROOT, "%-24s %-8s %-12s %-22s %-16s %s%n", "view", "version", "state",
                "applied at (UTC)", "by", "source");
            for (FeatureViewRecord view : views) {
                out.printf(Locale.ROOT, "%-24s %-8s %-12s %-22s %-16s %s%n", view.getName(), "v" + view.getVersion(),
                    view.getState(), Instant.ofEpochMilli(view.getAppliedAtMs()).truncatedTo(
                        java.time.temporal.ChronoUnit.SECONDS), view.getAppliedBy(), view.getSource());
            }
            return 0;
        }
    }

    @picocli.CommandLine.Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Show one feature view: version, state, features and definition; with --target, also the "
            + "counts of a running feature store.")
    static final class Describe implements Callable<Integer> {
        @Mixin
        RegistryOptions registry;

        @Parameters(index = "0", paramLabel = "VIEW", description = "The view's name.")
        String name;

        @Option(names = "--target", paramLabel = "HOST:PORT", description = "A feature store's FeatureStoreService "
            + "(featurestore.grpc.port), to show its counts for the view.")
        String target;

        @Override
        public Integer call() {
            List<FeatureViewRecord> views = registry.list();
            FeatureViewRecord record = views.stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new LauncherException("No feature view '" + name + "' is registered in "
                    + registry.topic() + "; registered: "
                    + views.stream().map(FeatureViewRecord::getName).toList() + "."));
            PrintStream out = System.out;
            out.printf(Locale.ROOT, "view %s v%d (%s), applied %s by %s from %s%n", record.getName(),
                record.getVersion(), record.getState(), Instant.ofEpochMilli(record.getAppliedAtMs()),
                record.getAppliedBy(), record.getSource().isEmpty() ? "(unknown)" : record.getSource());
            try {
                FeatureView view = FeatureViewRegistry.viewOf(record);
                out.printf(Locale.ROOT, "entity %s, event time %s, grace %s%n", view.entityPath(),
                    view.eventTimePath(), view.grace());
                List<String> features = view.featureNames();
                out.println("features (" + features.size() + "): " + String.join(", ", features));
            } catch (InvalidFeatureViewException e) {
                out.println("its stored definition is refused now, so it does not run: " + e.getMessage());
            }
            if (target != null) {
                out.println(counts(target, name));
            }
            out.println("definition:");
            record.getDefinitionYaml().lines().forEach(line -> out.println("  " + line));
            return 0;
        }

        /** E.g. {@code none} or {@code 3 (UNMATCHED_LABEL 2, MALFORMED_LABEL 1)}, largest first. */
        static String byReason(java.util.Map<String, Long> counts) {
            if (counts.isEmpty()) {
                return "none";
            }
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            return total + " (" + String.join(", ", counts.entrySet().stream()
                .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()
                    .thenComparing(java.util.Map.Entry.comparingByKey()))
                .map(e -> e.getKey() + " " + e.getValue()).toList()) + ")";
        }

        private static String counts(String target, String name) {
            ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
            try {
                DescribeFeatureViewResponse response = FeatureStoreServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName(name).build());
                return String.format(Locale.ROOT, "counts on %s since it started: %d events in, %d feature vectors "
                    + "out, events dead-lettered %s%nlabel join (all views): %d labels in, %d training examples out, "
                    + "labels left out %s, %d predictions expired unlabelled", target, response.getEventsIn(),
                    response.getFeatureVectorsOut(), byReason(response.getEventsDeadLetteredMap()),
                    response.getLabelsIn(), response.getTrainingExamplesOut(),
                    byReason(response.getLabelsLeftOutMap()), response.getPredictionsExpiredUnlabelled());
            } catch (StatusRuntimeException e) {
                return "counts: " + target + " answered " + e.getStatus().getCode() + " ("
                    + e.getStatus().getDescription() + ")";
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
