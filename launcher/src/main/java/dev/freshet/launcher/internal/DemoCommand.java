package dev.freshet.launcher.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.Durations;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.registry.v1.ModelVersion;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code freshet demo}: the whole loop on a synthetic stream, with progress while it runs and a summary at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "Run the whole loop on a built-in synthetic card-transaction stream: events with ~1% malformed,",
        "labels arriving 0.5-3 s later, an abrupt concept drift at 60% of the run. Prints progress every",
        "few seconds and a summary at the end. If a stage of a component stops for good, the demo stops at once,",
        "prints 'freshet: <component>: <stage> stopped: <reason>' and exits with code 1."})
public final class DemoCommand implements Callable<Integer> {
    static final String MODEL_NAME = "default";
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    /** As long as the demo view's longest count window, so windowed counts start at their steady level. */
    private static final Duration HISTORY = Duration.ofSeconds(30);
    private static final double INJECT_AT = 0.35;
    private static final double DRIFT_AT = 0.6;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
        description = "Use this Kafka cluster instead of starting a broker in this process. Topics get a fresh prefix per run.")
    String bootstrapServers;

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class, paramLabel = "DURATION",
        description = "How long to send events, e.g. 90s or 5m (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--events-per-second", defaultValue = "200", paramLabel = "N",
        description = "Events sent per second (default: ${DEFAULT-VALUE}).")
    int eventsPerSecond;

    @Option(names = "--inject-bad-version",
        description = "Publish a deliberately broken model version at 35% of the run; the monitor should roll it back.")
    boolean injectBadVersion;

    @Option(names = "--summary-json", paramLabel = "PATH", description = "Also write the summary as JSON to PATH.")
    Path summaryJson;

    @Option(names = "--report-html", paramLabel = "PATH",
        description = "Also write the monitor's report at the end as an HTML page with charts to PATH (JSON beside it).")
    Path reportHtml;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the synthetic stream (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--entities", defaultValue = "200", description = "Card holders in the stream (default: ${DEFAULT-VALUE}).")
    int entities;

    @Option(names = "--config", paramLabel = "FILE", description = "A file of key=value lines, as for freshet run: "
        + "with bootstrap.servers or --bootstrap-servers, the cluster's kafka.* settings (SASL, SSL) reach every "
        + "client of the demo; its topics.prefix is replaced by a fresh one.")
    Path configFile;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE",
        description = "Set a component's configuration key (repeatable), e.g. -D monitor.rollback.margin=0.2; see `freshet config docs`.")
    Map<String, String> overrides = new HashMap<>();

    PrintStream out = System.out;

    /** The traffic's send results, complete once {@link #run} has returned (its producer is closed by then). */
    private SendResults sends;

    @Override
    public Integer call() throws Exception {
        DemoSummary summary = run();
        summary.print(out);
        if (summaryJson != null) {
            summary.writeJson(summaryJson);
            out.println("Summary written to " + summaryJson.toAbsolutePath());
        }
        out.printf(java.util.Locale.ROOT, "Kafka confirmed %,d of the %,d events and labels the demo sent.%n",
            sends.confirmed(), sends.sent());
        if (sends.failed() > 0) {
            throw new CommandFailedException("demo: Kafka did not take every event and label the demo sent: "
                + sends.describe() + "; the figures above count records that never arrived. Run with -v to see "
                + "the producer's log", sends.firstFailure().orElse(null));
        }
        return 0;
    }

    /** Runs the demo and returns what happened; used by the command and by the end-to-end test. */
    DemoSummary run() throws Exception {
        if (eventsPerSecond < 1 || eventsPerSecond > 100_000) {
            throw new LauncherException("--events-per-second must be between 1 and 100000, got " + eventsPerSecond);
        }
        if (duration.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new LauncherException("--duration must be at least 10s so that a model can be trained, got " + duration);
        }
        // A typo in --config or -D stops the demo before a broker starts or a topic is created.
        Map<String, Object> settings = ConfigSources.load(configFile, overrides);
        String external = bootstrapServers != null ? bootstrapServers
            : String.valueOf(settings.getOrDefault(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, "")).strip();
        Instant startedAt = Instant.now();
        EmbeddedKafkaBroker broker = external.isEmpty() ? EmbeddedKafkaBroker.start() : null;
        try {
            String bootstrap = broker != null ? broker.bootstrapServers() : external;
            // A fresh prefix on a shared cluster keeps earlier runs' versions and labels out of this one.
            String prefix = broker != null ? "freshet." : "freshet-demo-" + startedAt.getEpochSecond() + ".";
            out.printf("Freshet demo: %s broker at %s, topics '%s*', %d events/s for %ds%s.%n",
                broker != null ? "embedded" : "external", bootstrap, prefix, eventsPerSecond, duration.toSeconds(),
                injectBadVersion ? ", bad version injected at " + Math.round(INJECT_AT * 100) + "%" : "");
            Path stateDir = Files.createTempDirectory("freshet-demo-");
            Map<String, Object> props = platformConfig(settings, bootstrap, prefix, stateDir);
            Platform.validate(props, EnumSet.allOf(Platform.Component.class));
            RunCommand.ensureTopics(props, new AbstractConfig(RunCommand.configDef(), props, false),
                RunCommand.DEFAULT_CLUSTER_TIMEOUT);
            try (Platform platform = Platform.start(props, EnumSet.allOf(Platform.Component.class))) {
                return drive(platform, props, prefix, startedAt);
            } finally {
                deleteQuietly(stateDir);
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    private Map<String, Object> platformConfig(Map<String, Object> settings, String bootstrap, String prefix,
                                               Path stateDir) throws IOException {
        Path view = stateDir.resolve("transactions.yaml");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/examples/transactions.yaml")) {
            if (in == null) {
                throw new LauncherException("The demo's feature view is missing from the launcher jar; rebuild with ./freshet --rebuild");
            }
            Files.copy(in, view, StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("featurestore.view.file", view.toString());
        props.put("featurestore.state.dir", stateDir.resolve("feature-store").toString());
        props.put("serving.state.dir", stateDir.resolve("serving").toString());
        props.put("serving.port", "0");
        props.putAll(settings);
        props.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonConfig.TOPICS_PREFIX_CONFIG, prefix);
        return props;
    }

    private DemoSummary drive(Platform platform, Map<String, Object> props, String prefix, Instant startedAt)
            throws Exception {
        TopicLayout topics = new TopicLayout(prefix);
        KafkaClients clients = KafkaClients.from(props);
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", platform.scoringServer().port())
            .usePlaintext().build();
        Map<String, Object> tuning = Map.of(ProducerConfig.LINGER_MS_CONFIG, 5);
        DemoTimeline timeline = new DemoTimeline();
        try (KafkaProducer<String, String> producer = clients.idempotentProducer(topics.clientId("demo-traffic"),
                 tuning, new StringSerializer(), new StringSerializer());
             KafkaProducer<String, byte[]> registryProducer = clients.idempotentProducer(
                 topics.clientId("demo-injector"), tuning, new StringSerializer(), new ByteArraySerializer());
             TopicTally tally = new TopicTally(clients, topics.name(Topic.MODELS),
                 topics.name(Topic.DEAD_LETTER), MODEL_NAME);
             DemoTraffic traffic = new DemoTraffic(seed, entities, producer, topics.name(Topic.EVENTS),
                 topics.name(Topic.LABELS), channel)) {
            sends = traffic.sends();
            ExecutorService injector = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "freshet-demo-injector");
                t.setDaemon(true);
                return t;
            });
            long historyVectors = traffic.sendHistory(HISTORY, eventsPerSecond);
            out.printf("  sent %ds of history (%d events, no predictions) so that every entity's windows are full.%n",
                HISTORY.toSeconds(), traffic.eventsProduced());
            Progress progress = new Progress(out, platform, traffic, tally);
            awaitReplica(platform, historyVectors);
            long total = duration.toSeconds() * eventsPerSecond;
            long startNs = System.nanoTime();
            long nextProgressNs = startNs + PROGRESS_EVERY.toNanos();
            boolean injected = !injectBadVersion;
            for (long i = 0; i < total; i++) {
                double fraction = (double) i / total;
                if (!injected && fraction >= INJECT_AT) {
                    injected = true;
                    injector.submit(() -> {
                        timeline.badVersion = inject(registryProducer, topics, tally, traffic);
                        return null;
                    });
                }
                if (!traffic.isDrifted() && fraction >= DRIFT_AT) {
                    traffic.drift();
                    timeline.conceptDriftAtMs = System.currentTimeMillis();
                    out.printf("  [%3ds] concept drift: 'velocity' shifts upward and its relation to the label reverses.%n",
                        elapsedSeconds(startNs));
                }
                pace(startNs, i);
                requireAllRunning(platform);
                traffic.sendNext();
                if (System.nanoTime() >= nextProgressNs) {
                    progress.print(elapsedSeconds(startNs));
                    nextProgressNs += PROGRESS_EVERY.toNanos();
                }
            }
            out.printf("  [%3ds] all events sent; waiting for the last labels to arrive and be learned.%n",
                elapsedSeconds(startNs));
            injector.shutdown();
            if (!injector.awaitTermination(15, TimeUnit.SECONDS)) {
                out.println("  the bad version was still being injected when the run ended.");
            }
            traffic.drain(Duration.ofSeconds(10));
            settle(platform);
            progress.print(elapsedSeconds(startNs));
            if (reportHtml != null) {
                writeReport(platform.monitor().report());
            }
            return DemoSummary.collect(startedAt, duration, eventsPerSecond, seed, traffic, tally, platform, timeline);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private void writeReport(dev.freshet.monitor.MonitorReport report) throws IOException {
        String name = reportHtml.getFileName().toString();
        Path json = reportHtml.resolveSibling((name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name) + ".json");
        Files.writeString(reportHtml, report.toHtml());
        Files.writeString(json, report.toJson());
        out.println("  report written to " + reportHtml.toAbsolutePath() + " and " + json.toAbsolutePath());
    }

    /** Live traffic starts once serving sees the history's features, so the first predictions use them. */
    private static void awaitReplica(Platform platform, long featureVectors) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (platform.scoringServer().stats().featureVectorsReplicated() < featureVectors) {
            requireAllRunning(platform);
            if (System.nanoTime() > deadline) {
                throw new LauncherException("Serving saw " + platform.scoringServer().stats().featureVectorsReplicated()
                    + " of the history's " + featureVectors + " feature vectors within 60 s; the feature store is"
                    + " not keeping up (is the machine overloaded?)");
            }
            Thread.sleep(100);
        }
    }

    /**
     * Publishes the bad version right after the trainer published one, so that the two do not claim the same
     * number (the trainer numbers its next version from the registry a second later); checks that the number was
     * not claimed twice anyway, and publishes again under a new number if it was.
     */
    private DemoTimeline.Injection inject(KafkaProducer<String, byte[]> registryProducer, TopicLayout topics,
                                          TopicTally tally, DemoTraffic traffic) throws InterruptedException {
        for (int attempt = 1; attempt <= 3; attempt++) {
            awaitFreshTrainerVersion(tally);
            long version = tally.highestVersion() + 1;
            ModelVersion published = BadVersionInjector.publish(registryProducer,
                topics.name(Topic.MODELS), MODEL_NAME, version, traffic.lastServedVersion(),
                traffic.recentExamples());
            Thread.sleep(1_500);
            if (!tally.claimedTwice(version)) {
                out.printf("  injected bad version v%d (%s).%n", version, BadVersionInjector.NOTE);
                return new DemoTimeline.Injection(version, published.getPublishedAtMs());
            }
            out.printf("  the trainer published v%d at the same moment as the injected version; injecting again.%n",
                version);
        }
        throw new LauncherException("Could not inject a bad version: the trainer claimed its number three times");
    }

    private static void awaitFreshTrainerVersion(TopicTally tally) throws InterruptedException {
        long seen = tally.highestVersion();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (tally.highestVersion() == seen && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** Holds the send rate: event i is due at i / rate seconds after the start. */
    private void pace(long startNs, long i) throws InterruptedException {
        long dueNs = startNs + i * 1_000_000_000L / eventsPerSecond;
        long waitNs = dueNs - System.nanoTime();
        if (waitNs > 0) {
            TimeUnit.NANOSECONDS.sleep(waitNs);
        }
    }

    /** Lets the last labels flow through the join, the trainer and the monitor, up to a bound. */
    private static void settle(Platform platform) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        long last = -1;
        while (System.nanoTime() < deadline) {
            requireAllRunning(platform);
            long labelled = DemoSummary.labelledPredictions(platform.monitor().report());
            if (labelled == last) {
                return;
            }
            last = labelled;
            Thread.sleep(1_500);
        }
    }

    /** A demo missing a component would print figures that mean nothing: it stops and says which stage stopped. */
    private static void requireAllRunning(Platform platform) {
        platform.firstStop().ifPresent(stop -> {
            throw new StageStoppedException(stop);
        });
    }

    private static long elapsedSeconds(long startNs) {
        return (System.nanoTime() - startNs) / 1_000_000_000L;
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }

    /** Accepts 90s, 5m, 1h or an ISO-8601 duration. */
    /** Reads a command-line duration in the platform's one grammar ({@link Durations}). */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value.trim());
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
