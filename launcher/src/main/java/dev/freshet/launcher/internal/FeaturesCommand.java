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
import dev.freshet.proto.features.v1.ApplyFeatureViewsRequest;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.DescribeFeatureViewResponse;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code freshet features apply|list|describe|history}: the feature view registry (the compacted
 * {@code feature-views} topic) for data scientists. {@code apply} validates the file locally first, then registers
 * it by one of two routes with the same validation: with {@code --target}, through a feature store's gRPC
 * {@code ApplyFeatureViews}, which authenticates the caller (token or client certificate) and records its principal;
 * without, straight to the registry topic through the feature store's {@link FeatureViewRegistry}, where the
 * cluster's ACLs are the authority and the record names the Kafka principal ({@link KafkaIdentity}). Every running
 * feature store picks the change up from the topic. It also tries the file's views on the newest events first,
 * with the store's own parsing, so that a view that would dead-letter the stream is seen before its backfill does it.
 */
@picocli.CommandLine.Command(name = "features", mixinStandardHelpOptions = true,
    description = "Register feature views and read the registry: apply a YAML file, list views, describe one, "
        + "show every registered version and who applied it.",
    subcommands = {FeaturesCommand.Apply.class, FeaturesCommand.ListViews.class, FeaturesCommand.Describe.class,
        FeaturesCommand.History.class})
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

        @Option(names = "--target", paramLabel = "HOST:PORT", description = "Register through this feature store's "
            + "FeatureStoreService (featurestore.grpc.port) with the credentials below; the new versions are "
            + "recorded under the identity the store authenticates. Without it the file is written straight to "
            + "the registry topic, recorded as applied by the Kafka principal (kafka:<SASL user>) or, on a cluster "
            + "without SASL, local:<OS user>.")
        String target;

        @Mixin
        GrpcClientOptions client;

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
            ApplyFeatureViewsResponse response;
            try {
                // Locally first: a refused file never needs the cluster.
                FeatureViewRegistry.validate(yaml, file.toString());
                response = target != null ? applyThroughTarget(yaml) : FeatureViewRegistry.apply(
                    registry.cluster.config(), yaml, file.toString(), KafkaIdentity.of(registry.cluster.config()),
                    dryRun, registry.timeout);
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
            out.printf(Locale.ROOT, "%s %s %s: %d created, %d updated, %d unchanged%s.%n",
                dryRun ? "Checked" : "Applied", file, target != null ? "through " + target : "to " + registry.topic(),
                created, updated, unchanged, dryRun || created + updated == 0 ? ""
                    : ", recorded as applied by '" + response.getAppliedBy() + "'");
            if (sample > 0 && (target == null || hasCluster())) {
                EventSamples.report(registry.cluster, yaml, file.toString(), sample, registry.timeout, dryRun, out,
                    System.err);
            } else if (sample > 0 && dryRun) {
                out.println("Events not sampled: give --bootstrap-servers (or bootstrap.servers) to try the views on "
                    + "the newest events too.");
            }
            return 0;
        }

        private boolean hasCluster() {
            Object bootstrap = registry.cluster.withOptions().get("bootstrap.servers");
            return bootstrap != null && !bootstrap.toString().isBlank();
        }

        private ApplyFeatureViewsResponse applyThroughTarget(String yaml) {
            ManagedChannel channel = client.channel(target);
            try {
                return client.authenticated(FeatureStoreServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(registry.timeout.toMillis(), TimeUnit.MILLISECONDS), "Registering through "
                        + "--target needs a credential: pass --token TOKEN, --token-file FILE or set "
                        + GrpcClientOptions.TOKEN_ENV + " (a token of the feature store's featurestore.admin.token or "
                        + "featurestore.admin.token.file); or present a client certificate whose subject is in its "
                        + "featurestore.admin.allowed.subjects with --cert-file and --key-file.")
                    .applyFeatureViews(ApplyFeatureViewsRequest.newBuilder().setYaml(yaml)
                        .setSource(file.toString()).setDryRun(dryRun).build());
            } catch (StatusRuntimeException e) {
                throw new LauncherException(describe(target, e.getStatus(), client));
            } finally {
                channel.shutdownNow();
            }
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
            + "(featurestore.grpc.port), to show its counts for the view; with featurestore.read.auth=authenticated "
            + "give the credentials below.")
        String target;

        @Mixin
        GrpcClientOptions client;

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
                out.println(counts(target, name, client));
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

        private static String counts(String target, String name, GrpcClientOptions client) {
            ManagedChannel channel = client.channel(target);
            try {
                DescribeFeatureViewResponse response = client.authenticated(FeatureStoreServiceGrpc
                        .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS), null)
                    .describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName(name).build());
                return String.format(Locale.ROOT, "counts on %s since it started: %d events in, %d feature vectors "
                    + "out, events dead-lettered %s%nlabel join (all views): %d labels in, %d training examples out, "
                    + "labels left out %s, %d predictions expired unlabelled", target, response.getEventsIn(),
                    response.getFeatureVectorsOut(), byReason(response.getEventsDeadLetteredMap()),
                    response.getLabelsIn(), response.getTrainingExamplesOut(),
                    byReason(response.getLabelsLeftOutMap()), response.getPredictionsExpiredUnlabelled());
            } catch (StatusRuntimeException e) {
                return "counts: " + describe(target, e.getStatus(), client);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** What a feature store's refusal means for the user, by status. */
    static String describe(String target, Status status, GrpcClientOptions client) {
        return switch (status.getCode()) {
            case UNAVAILABLE -> String.format("the feature store at %s is unreachable or could not answer: %s%s",
                target, status.getDescription(), client.unreachableHint("featurestore.tls.client.ca.file"));
            case DEADLINE_EXCEEDED -> String.format("the feature store at %s did not answer in time (--timeout).",
                target);
            case UNIMPLEMENTED -> String.format("%s does not offer the FeatureStoreService; is it a Freshet feature "
                + "store's featurestore.grpc.port?", target);
            default -> String.format("the feature store at %s refused (%s): %s", target, status.getCode(),
                status.getDescription());
        };
    }

    @picocli.CommandLine.Command(name = "history", mixinStandardHelpOptions = true,
        description = "Show every registered version of the feature views (or of one), oldest first: when, which "
            + "change, and who applied it. The registry is compacted: each view's newest version is always kept, "
            + "older ones until compaction removes them.")
    static final class History implements Callable<Integer> {
        @Mixin
        RegistryOptions registry;

        @Parameters(index = "0", arity = "0..1", paramLabel = "VIEW", description = "Only this view.")
        String name;

        @Option(names = "--json", description = "Print the history as a JSON array instead.")
        boolean json;

        @Override
        public Integer call() {
            List<FeatureViewRegistry.Written> history;
            try {
                history = FeatureViewRegistry.history(registry.cluster.config(), registry.timeout);
            } catch (FeatureStoreException e) {
                throw new LauncherException(e.getMessage(), e);
            }
            List<Change> changes = Change.of(history).stream()
                .filter(c -> name == null || c.view().equals(name)).toList();
            PrintStream out = System.out;
            if (json) {
                out.println(Change.json(changes));
                return 0;
            }
            if (changes.isEmpty()) {
                out.println(name == null ? "No feature view has been registered in " + registry.topic() + "."
                    : "No version of feature view '" + name + "' is in " + registry.topic() + "; registered: "
                        + history.stream().map(FeatureViewRegistry.Written::view).distinct().toList() + ".");
                return 0;
            }
            out.printf(Locale.ROOT, "%-20s %-24s %-8s %-36s %-28s %s%n", "time (UTC)", "view", "version", "change",
                "applied by", "source");
            for (Change c : changes) {
                out.printf(Locale.ROOT, "%-20s %-24s %-8s %-36s %-28s %s%n", Instant.ofEpochMilli(c.timeMs())
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString().replace("T", " ")
                    .replace("Z", ""), c.view(), c.version() == 0 ? "-" : "v" + c.version(), c.change(),
                    c.appliedBy(), c.source());
            }
            return 0;
        }
    }

    /**
     * One line of {@code features history}: a registry record read as the change it made.
     *
     * @param timeMs    when the record was written
     * @param appliedBy who applied the version; for a state change the feature store made, the feature store
     */
    record Change(long timeMs, String view, int version, String change, String appliedBy, String source) {
        static final String FEATURE_STORE = "feature-store";

        static List<Change> of(List<FeatureViewRegistry.Written> history) {
            java.util.Map<String, FeatureViewRecord> previous = new java.util.HashMap<>();
            List<Change> changes = new ArrayList<>();
            for (FeatureViewRegistry.Written w : history) {
                FeatureViewRecord r = w.record();
                FeatureViewRecord before = previous.get(w.view());
                if (r == null) {
                    changes.add(new Change(w.writtenAtMs(), w.view(), 0, "removed", "", ""));
                    previous.remove(w.view());
                    continue;
                }
                previous.put(w.view(), r);
                String state = r.getState().name();
                if (before != null && before.getVersion() == r.getVersion()) {
                    // The same version again: a state the feature store moved it to (its backfill caught up).
                    changes.add(new Change(w.writtenAtMs(), w.view(), r.getVersion(), "now " + state
                        + (r.getState() == FeatureViewRecord.State.ACTIVE ? " (backfill caught up)" : ""),
                        FEATURE_STORE, r.getSource()));
                    continue;
                }
                String change = r.getVersion() == 1 ? "created" : "updated (was v" + (r.getVersion() - 1) + ")";
                changes.add(new Change(w.writtenAtMs(), w.view(), r.getVersion(), change + ", " + state,
                    r.getAppliedBy(), r.getSource()));
            }
            return changes;
        }

        static String json(List<Change> changes) {
            com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
            for (Change c : changes) {
                array.addObject().put("time", Instant.ofEpochMilli(c.timeMs()).toString()).put("time_ms", c.timeMs())
                    .put("view", c.view()).put("version", c.version()).put("change", c.change())
                    .put("applied_by", c.appliedBy()).put("source", c.source());
            }
            try {
                return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new LauncherException("Could not write the history as JSON: " + e.getMessage(), e);
            }
        }
    }
}
