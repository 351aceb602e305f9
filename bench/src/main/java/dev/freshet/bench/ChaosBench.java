package dev.freshet.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.bench.ChaosCluster.Part;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The chaos suite: a standalone broker and each component of the loop in a JVM of its own; a known stream of
 * events, Predict calls and labels; {@code kill -9} of every component at seeded random moments and of the broker
 * once, each restarted on the same state; then an audit from the topics, read as a downstream reader would
 * (read_committed): every valid event has exactly one feature vector, every logged prediction with a label exactly
 * one training example, no answered prediction missing from the prediction log, version numbers unique with every
 * parent present, and the examples learned between two versions equal to the committed examples between their
 * offsets. Then three hazards a real stream brings (a far-future event, a ~1 MB malformed event, a costly view),
 * each followed by a canary event, and what happened to each.
 *
 * <p>{@code bench/run ChaosBench [--events N] [--kills K] [--seed S] [--rate R] [--entities E] [--hazard-wait-s W]
 * [--no-hazards]}; writes bench/results/ChaosBench.md.
 */
public final class ChaosBench {
    private static final Duration COMPONENT_READY_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration SETTLE_POLL = Duration.ofSeconds(2);
    private static final int SETTLE_STABLE_POLLS = 3;
    private static final int SHOWN = 10;
    private static final Duration TAIL = Duration.ofSeconds(5);
    private static final int POISON_PILL_BYTES = 1_048_576 - 140;
    /** What {@code freshet run} logs once its components have started. */
    private static final String RUNNING_LINE = "Stop with Ctrl-C";
    private static final List<Part> COMPONENTS = List.of(Part.FEATURE_STORE, Part.TRAINER, Part.SERVING,
        Part.MONITOR);

    /** The run's sizes. */
    record Options(int events, int killsPerComponent, long seed, int eventsPerSecond, int entities,
                   Duration hazardWait, boolean hazards, String predictionLog) {
        static Options parse(String[] args) {
            int events = 6000;
            int kills = 2;
            long seed = 42;
            int rate = 50;
            int entities = 40;
            int hazardWaitS = 60;
            boolean hazards = true;
            // The audit's "no answered prediction missing from the log" holds only for this mode; async (serving's
            // default) loses what it had not sent at a kill -9, which --prediction-log async measures.
            String predictionLog = "acked";
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--events" -> events = Integer.parseInt(args[++i]);
                    case "--kills" -> kills = Integer.parseInt(args[++i]);
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--rate" -> rate = Integer.parseInt(args[++i]);
                    case "--entities" -> entities = Integer.parseInt(args[++i]);
                    case "--hazard-wait-s" -> hazardWaitS = Integer.parseInt(args[++i]);
                    case "--no-hazards" -> hazards = false;
                    case "--prediction-log" -> predictionLog = args[++i];
                    default -> throw new IllegalArgumentException("Unknown option " + args[i] + "; expected --events "
                        + "N, --kills K, --seed S, --rate R, --entities E, --hazard-wait-s W, --no-hazards or --prediction-log acked|async");
                }
            }
            if (events < 100 || kills < 0 || rate < 1 || rate > 1000 || entities < 1
                    || !List.of("acked", "async").contains(predictionLog)) {
                throw new IllegalArgumentException("Need --events >= 100, --kills >= 0, --rate in 1..1000, "
                    + "--entities >= 1 and --prediction-log acked or async");
            }
            return new Options(events, kills, seed, rate, entities, Duration.ofSeconds(hazardWaitS), hazards,
                predictionLog);
        }
    }

    /** One planned kill: which process, before which event of the stream. */
    record Kill(int number, Part part, int atEvent) {
    }

    /** A kill done: when, and which incarnation replaced the process. */
    record Done(Kill kill, int atEvent, double atSeconds, LocalTime killedAt, int incarnation,
                double brokerReadySeconds) {
    }

    /** The end-to-end figures a test asserts on. */
    record Result(long validEvents, long lostVectors, long duplicatedVectors, long loggedLabelled,
                  long lostExamples, long duplicatedExamples, long answered, long answeredNotLogged,
                  long duplicatedLogEntries, long versions, long duplicatedVersions, long missingParents,
                  long lineageChecked, long lineageMismatches, boolean settled, List<String> selfExits) {
        long lostOrDuplicated() {
            return lostVectors + duplicatedVectors + lostExamples + duplicatedExamples + answeredNotLogged
                + duplicatedLogEntries + duplicatedVersions + missingParents + lineageMismatches;
        }
    }

    private final Options options;
    private final BenchReport report;
    private final ChaosCluster cluster;
    private final Path workDir;
    private final KafkaClients clients;
    private final TopicLayout topics = new TopicLayout(ChaosCluster.TOPICS_PREFIX);
    private final ChaosAudit audit;
    private final List<String> selfExits = new ArrayList<>();
    private final long startNs = System.nanoTime();
    private double settleSeconds;
    private int eventsSent;
    private List<String> unsettled = List.of();

    private ChaosBench(Options options, BenchReport report, Path workDir) throws IOException {
        this.options = options;
        this.report = report;
        this.workDir = workDir;
        this.cluster = new ChaosCluster(workDir, viewFile(workDir), options.predictionLog());
        this.clients = KafkaClients.of(cluster.bootstrapServers());
        this.audit = new ChaosAudit(clients, topics);
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        BenchReport report = new BenchReport("ChaosBench", args);
        run(options, report);
        report.write();
    }

    /** Runs the suite with {@code options}, adding every figure to {@code report}; returns the audit's counts. */
    static Result run(Options options, BenchReport report) throws Exception {
        Path workDir = Files.createTempDirectory("freshet-chaos-");
        ChaosBench bench = new ChaosBench(options, report, workDir);
        try {
            return bench.run();
        } finally {
            bench.cluster.close();
            progress("processes' logs are in %s", workDir);
        }
    }

    private Result run() throws Exception {
        report.line("A standalone KRaft broker and each component (`freshet run --components NAME`) in a JVM of its "
            + "own (-Xmx512m); %d events (about 2%% malformed) at %d/s over %d entities, a Predict call per valid "
            + "event and its label 0.3-1 s after the call; `kill -9` of each component %d times and of the broker "
            + "once at seeded moments (seed %d), each restarted at once on the same state; serving with "
            + "serving.prediction.log.durability=%s. Then the audit from the topics (read_committed).",
            options.events(), options.eventsPerSecond(), options.entities(), options.killsPerComponent(),
            options.seed(), options.predictionLog());
        report.line("");
        cluster.startBroker();
        progress("broker ready at %s", cluster.bootstrapServers());
        try (var admin = clients.admin()) {
            topics.ensureTopics(admin, Optional.empty(), Optional.empty());
        }
        cluster.startComponent(Part.FEATURE_STORE);
        awaitHealth(Part.FEATURE_STORE, cluster.featureStoreGrpcPort);
        for (Part part : List.of(Part.TRAINER, Part.SERVING, Part.MONITOR)) {
            cluster.startComponent(part);
        }
        // The stream starts once every component runs, so that its first calls measure the loop, not JVM start-up.
        for (Part part : COMPONENTS) {
            cluster.awaitLogLine(part, RUNNING_LINE, COMPONENT_READY_TIMEOUT);
        }
        progress("components running");
        List<Kill> plan = killPlan();
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", cluster.servingPort).usePlaintext()
            .build();
        List<Done> killLines = new ArrayList<>();
        // An application rides out a broker restart: its sends wait (and retry) for up to five minutes, longer
        // than the broker takes to come back on a loaded machine, instead of failing after the default minute.
        Map<String, Object> tuning = Map.of(ProducerConfig.LINGER_MS_CONFIG, 5,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
        try (KafkaProducer<String, String> producer = clients.idempotentProducer(topics.clientId("chaos-driver"),
                 tuning, new StringSerializer(), new StringSerializer());
             ChaosDriver driver = new ChaosDriver(options.seed(), options.entities(), options.eventsPerSecond(),
                 producer, topics.name(Topic.EVENTS), topics.name(Topic.LABELS), channel)) {
            stream(driver, plan, killLines);
            driver.finish(Duration.ofSeconds(60));
            progress("all %d events, their calls and labels sent and acknowledged; settling", eventsSent);
            boolean settled = settle();
            Result result = auditCore(driver, killLines, killLines, settled);
            if (options.hazards()) {
                hazards(driver);
            }
            monitorFigures();
            return result;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private List<Kill> killPlan() {
        SplittableRandom random = new SplittableRandom(options.seed() * 31 + 7);
        List<Part> parts = new ArrayList<>();
        for (int k = 0; k < options.killsPerComponent(); k++) {
            parts.addAll(COMPONENTS);
        }
        parts.add(Part.BROKER);
        Collections.shuffle(parts, new java.util.Random(options.seed()));
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            at.add((int) (options.events() * (0.1 + 0.8 * random.nextDouble())));
        }
        Collections.sort(at);
        List<Kill> plan = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            plan.add(new Kill(i + 1, parts.get(i), at.get(i)));
        }
        return plan;
    }

    /**
     * Sends the stream and does the planned kills. One process is down at a time: a kill waits until the previous
     * victim runs again (and serving answers callers again), so each restart is measured on its own. The stream goes
     * on past {@code --events} until every kill is done and its victim is back, then for a few seconds more, so
     * that the last restart sees traffic too.
     */
    private void stream(ChaosDriver driver, List<Kill> plan, List<Done> done) throws Exception {
        int nextKill = 0;
        long streamStartNs = System.nanoTime();
        long lastSupervisionNs = 0;
        long lastBackCheckNs = 0;
        boolean back = true;
        long tailUntilNs = -1;
        long giveUpNs;
        long streamEndNs = -1;
        long lastKillNs = 0;
        for (int i = 0; ; i++) {
            long now = System.nanoTime();
            if (!back && now - lastBackCheckNs > 200_000_000L) {
                back = isBack(done.get(done.size() - 1), driver);
                lastBackCheckNs = now;
            }
            if (i >= options.events()) {
                // A victim that is not back this long after the stream's end or its kill, whichever is later, is
                // reported, not waited for.
                if (streamEndNs < 0) {
                    streamEndNs = now;
                }
                giveUpNs = Math.max(streamEndNs, lastKillNs) + COMPONENT_READY_TIMEOUT.toNanos();
                if (nextKill >= plan.size() && back && tailUntilNs < 0) {
                    tailUntilNs = now + TAIL.toNanos();
                }
                if ((tailUntilNs > 0 && now >= tailUntilNs) || now >= giveUpNs) {
                    eventsSent = i;
                    if (!back || nextKill < plan.size()) {
                        progress("stream ended with %d kills not done and the last victim %s", plan.size() - nextKill,
                            back ? "back" : "not back");
                    }
                    return;
                }
            }
            if (nextKill < plan.size() && plan.get(nextKill).atEvent() <= i && back) {
                done.add(kill(driver, plan.get(nextKill), i));
                lastKillNs = System.nanoTime();
                nextKill++;
                back = false;
            }
            long dueNs = streamStartNs + i * 1_000_000_000L / options.eventsPerSecond();
            long waitNs = dueNs - System.nanoTime();
            if (waitNs > 0) {
                TimeUnit.NANOSECONDS.sleep(waitNs);
            }
            driver.sendEvent(i);
            if (System.nanoTime() - lastSupervisionNs > 1_000_000_000L) {
                supervise("event " + i);
                lastSupervisionNs = System.nanoTime();
            }
            if (i % 1000 == 999) {
                progress("%d events sent", i + 1);
            }
        }
    }

    private boolean isBack(Done last, ChaosDriver driver) throws IOException {
        Part part = last.kill().part();
        if (part == Part.BROKER) {
            return true;
        }
        if (cluster.loggedAt(part, last.incarnation(), RUNNING_LINE).isEmpty()) {
            return false;
        }
        return part != Part.SERVING || driver.servingOutages.get(driver.servingOutages.size() - 1).firstResponseNs > 0;
    }

    private Done kill(ChaosDriver driver, Kill kill, int atEvent) throws Exception {
        progress("kill -9 #%d: %s before event %d", kill.number(), kill.part().cliName, atEvent);
        long t0 = System.nanoTime();
        LocalTime killedAt = LocalTime.now();
        cluster.kill(kill.part());
        if (kill.part() == Part.SERVING) {
            driver.servingKilled(kill.number());
        }
        double brokerReady = -1;
        if (kill.part() == Part.BROKER) {
            cluster.startBroker();
            brokerReady = (System.nanoTime() - t0) / 1e9;
        } else {
            cluster.startComponent(kill.part());
        }
        return new Done(kill, atEvent, (t0 - startNs) / 1e9, killedAt, cluster.incarnations(kill.part()),
            brokerReady);
    }

    private String killLine(Done done) {
        String back;
        if (done.kill().part() == Part.BROKER) {
            back = String.format(Locale.ROOT, "ready line after %.1f s (the driver waited)",
                done.brokerReadySeconds());
        } else {
            Optional<LocalTime> running;
            try {
                running = cluster.loggedAt(done.kill().part(), done.incarnation(), RUNNING_LINE);
            } catch (IOException e) {
                running = Optional.empty();
            }
            back = running.map(t -> String.format(Locale.ROOT, "running again after %.1f s",
                    Duration.between(done.killedAt(), t).toMillis() / 1e3))
                .orElse("never logged that it runs");
        }
        return String.format(Locale.ROOT, "| %d | %s | %d (planned %d) | %.1f | %s |", done.kill().number(),
            done.kill().part().cliName, done.atEvent(), done.kill().atEvent(), done.atSeconds(), back);
    }

    /** A component that exited by itself is recorded and started again, as a supervisor would. */
    private void supervise(String when) throws IOException {
        for (Part part : COMPONENTS) {
            Optional<Integer> exit = cluster.exitCode(part);
            if (exit.isPresent()) {
                String line = part.cliName + " exited by itself with code " + exit.get() + " at " + when
                    + " (log " + cluster.logOf(part).getFileName() + ")";
                selfExits.add(line);
                progress("%s; starting it again", line);
                cluster.startComponent(part);
            }
        }
    }

    private void awaitHealth(Part part, int port) throws InterruptedException {
        long deadline = System.nanoTime() + COMPONENT_READY_TIMEOUT.toNanos();
        while (!"SERVING".equals(ChaosCluster.health(port))) {
            if (!cluster.isAlive(part)) {
                throw new IllegalStateException(part.cliName + " exited before it was healthy; see "
                    + cluster.logOf(part));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(part.cliName + " was not SERVING within "
                    + COMPONENT_READY_TIMEOUT.toSeconds() + " s; see " + cluster.logOf(part));
            }
            Thread.sleep(250);
        }
    }

    /**
     * Waits until the loop has done all it will with the inputs: the end offsets of what it writes stop moving and
     * the newest version covers every committed training example. Polls; the bound only ends a run that never
     * settles, which the results then say.
     */
    private boolean settle() throws Exception {
        long settleStartNs = System.nanoTime();
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        Map<TopicPartition, Long> last = Map.of();
        int stable = 0;
        while (System.nanoTime() < deadline) {
            supervise("settling");
            Map<TopicPartition, Long> ends = audit.endOffsets(Topic.FEATURES, Topic.PREDICTIONS,
                Topic.TRAINING_EXAMPLES, Topic.MODELS, Topic.DEAD_LETTER);
            stable = ends.equals(last) ? stable + 1 : 0;
            last = ends;
            if (stable >= SETTLE_STABLE_POLLS && audit.laggingGroups().isEmpty() && trainerCaughtUp()) {
                settleSeconds = (System.nanoTime() - settleStartNs) / 1e9;
                return true;
            }
            Thread.sleep(SETTLE_POLL.toMillis());
        }
        unsettled = audit.laggingGroups();
        settleSeconds = (System.nanoTime() - settleStartNs) / 1e9;
        return false;
    }

    private boolean trainerCaughtUp() {
        Map<TopicPartition, Long> ends = audit.endOffsets(Topic.TRAINING_EXAMPLES);
        List<ModelVersion> versions = audit.versions(audit.readAll(Topic.MODELS), ChaosCluster.MODEL);
        if (versions.isEmpty()) {
            return ends.values().stream().allMatch(e -> e == 0);
        }
        ModelVersion newest = versions.stream().max((a, b) -> Long.compare(a.getVersion(), b.getVersion()))
            .orElseThrow();
        // A transaction marker follows the last example, so the end offset may be one past the version's offset.
        return ends.entrySet().stream().allMatch(e ->
            e.getValue() - newest.getInputOffsetsOrDefault(e.getKey().partition(), 0L) <= 1);
    }

    private Result auditCore(ChaosDriver driver, List<Done> plan, List<Done> killLines, boolean settled)
            throws InterruptedException, java.util.concurrent.ExecutionException {
        report.line("## Kills");
        report.line("");
        report.line("| # | process | before event | at s (since the bench started) | back |");
        report.line("|---|---|---|---|---|");
        killLines.forEach(done -> report.line("%s", killLine(done)));
        report.line("");
        report.line("Events sent: %d (the stream goes on past --events until every victim runs again); load "
            + "average at the end of the stream (1, 5, 15 min): %s", eventsSent, loadAverage());
        report.line("");
        report.line("Components that exited by themselves (restarted by the bench): %s",
            selfExits.isEmpty() ? "none" : String.join("; ", selfExits));
        report.line("");
        report.line("Settled (end offsets still for %d polls %d s apart, every consumer group of the loop at the end "
            + "of what it reads, the newest version covering every committed example) before the %d s bound: **%s**",
            SETTLE_STABLE_POLLS, SETTLE_POLL.toSeconds(), SETTLE_TIMEOUT.toSeconds(),
            settled ? "yes" : "NO; the figures below are what the loop had done by then");
        if (!settled) {
            report.line("Lagging consumer groups at the bound: %s", unsettled.isEmpty() ? "none" : unsettled);
        }
        report.line("Settling took %.1f s after the last send was acknowledged.", settleSeconds);
        report.line("");

        // Feature vectors: (entity, event time) names one event.
        List<FeatureVector> vectors = audit.featureVectors(audit.readAll(Topic.FEATURES));
        Map<String, Integer> vectorCount = new HashMap<>();
        for (FeatureVector v : vectors) {
            if (v.getView().equals(ChaosCluster.VIEW)) {
                vectorCount.merge(v.getEntityId() + "@" + v.getEventTimeMs(), 1, Integer::sum);
            }
        }
        List<ChaosDriver.SentEvent> lostVectors = new ArrayList<>();
        List<ChaosDriver.SentEvent> duplicatedVectors = new ArrayList<>();
        Set<String> expectedKeys = new HashSet<>();
        for (ChaosDriver.SentEvent e : driver.validEvents) {
            String key = e.entityId() + "@" + e.eventTimeMs();
            expectedKeys.add(key);
            int n = vectorCount.getOrDefault(key, 0);
            if (n == 0) {
                lostVectors.add(e);
            } else if (n > 1) {
                duplicatedVectors.add(e);
            }
        }
        long unexpectedVectors = vectorCount.keySet().stream().filter(k -> !expectedKeys.contains(k)).count();

        // The prediction log: the caller's entries (not shadow scores), by request id.
        List<PredictionLogEntry> logged = audit.predictions(audit.readAll(Topic.PREDICTIONS));
        Map<String, Integer> logCount = new HashMap<>();
        logged.stream().filter(p -> !p.getShadow()).forEach(p -> logCount.merge(p.getRequestId(), 1, Integer::sum));
        long duplicatedLog = logCount.values().stream().filter(n -> n > 1).count();
        long answered = driver.outcomes.values().stream().filter(ChaosDriver.CallOutcome::answered).count();
        List<String> answeredNotLogged = driver.outcomes.entrySet().stream()
            .filter(e -> e.getValue().answered() && !logCount.containsKey(e.getKey()))
            .map(Map.Entry::getKey).sorted().toList();
        long notReadyCalls = driver.outcomes.values().stream()
            .filter(o -> "FAILED_PRECONDITION".equals(o.failureCode())).count();
        long notReadyLogged = driver.outcomes.entrySet().stream()
            .filter(e -> "FAILED_PRECONDITION".equals(e.getValue().failureCode()) && logCount.containsKey(e.getKey()))
            .count();

        // Training examples: one per logged prediction whose label was sent.
        List<ChaosAudit.Example> examples = audit.examples(audit.readAll(Topic.TRAINING_EXAMPLES));
        Map<String, Integer> exampleCount = new HashMap<>();
        examples.forEach(e -> exampleCount.merge(e.example().getRequestId(), 1, Integer::sum));
        List<String> loggedLabelled = logCount.keySet().stream().filter(driver.labelled::contains).sorted().toList();
        List<String> lostExamples = loggedLabelled.stream().filter(id -> !exampleCount.containsKey(id)).toList();
        List<String> duplicatedExamples = exampleCount.entrySet().stream().filter(e -> e.getValue() > 1)
            .map(Map.Entry::getKey).sorted().toList();
        long examplesWithoutPrediction = exampleCount.keySet().stream().filter(id -> !logCount.containsKey(id))
            .count();

        // The registry: unique versions, every parent present, examples learned = committed examples between.
        List<ChaosAudit.Read> registry = audit.readAll(Topic.MODELS);
        List<ModelVersion> versions = audit.versions(registry, ChaosCluster.MODEL);
        Set<Long> deleted = audit.deletedVersions(registry, ChaosCluster.MODEL);
        Map<Long, List<ModelVersion>> byNumber = versions.stream()
            .collect(Collectors.groupingBy(ModelVersion::getVersion, TreeMap::new, Collectors.toList()));
        // Each publication writes the previous version again without its checkpoint; only two different
        // publications (parent or publication time) under one number are a duplicate.
        List<Long> duplicatedVersions = byNumber.entrySet().stream()
            .filter(e -> e.getValue().stream().map(v -> v.getParentVersion() + "@" + v.getPublishedAtMs())
                .distinct().count() > 1)
            .map(Map.Entry::getKey).toList();
        List<String> missingParents = new ArrayList<>();
        List<String> lineageMismatches = new ArrayList<>();
        Map<Integer, long[]> offsets = ChaosAudit.offsetsByPartition(examples);
        long lineageChecked = 0;
        long lineageSkipped = 0;
        for (List<ModelVersion> same : byNumber.values()) {
            ModelVersion v = same.get(same.size() - 1);
            ModelVersion parent = null;
            if (v.getParentVersion() != 0) {
                List<ModelVersion> parents = byNumber.get(v.getParentVersion());
                if (parents == null && deleted.contains(v.getParentVersion())) {
                    lineageSkipped++;
                    continue;
                }
                if (parents == null) {
                    missingParents.add("v" + v.getVersion() + " (parent v" + v.getParentVersion() + ")");
                    continue;
                }
                parent = parents.get(parents.size() - 1);
            }
            if (v.getOrigin() != ModelVersion.Origin.ONLINE) {
                lineageSkipped++;
                continue;
            }
            long learned = v.getExamplesSeen() - (parent == null ? 0 : parent.getExamplesSeen());
            long committed = ChaosAudit.examplesBetween(offsets,
                parent == null ? Map.of() : parent.getInputOffsetsMap(), v.getInputOffsetsMap());
            lineageChecked++;
            if (learned != committed) {
                lineageMismatches.add("v" + v.getVersion() + " learned " + learned + " but " + committed
                    + " examples were committed between its parent's offsets and its own");
            }
        }

        // Dead letters of the core stream, by reason.
        Map<String, Long> deadByReason = new TreeMap<>();
        audit.deadLetters(audit.readAll(Topic.DEAD_LETTER))
            .forEach(d -> deadByReason.merge(d.getReason().name(), 1L, Long::sum));

        report.line("## Audit of the core stream");
        report.line("");
        report.line("| what | expected | found | lost | duplicated |");
        report.line("|---|---|---|---|---|");
        report.line("| feature vectors of valid events (view %s) | %d | %d | **%d** | **%d** |", ChaosCluster.VIEW,
            driver.validEvents.size(), driver.validEvents.size() - lostVectors.size(), lostVectors.size(),
            duplicatedVectors.size());
        report.line("| answered predictions in the prediction log | %d | %d | **%d** | **%d** |", answered,
            answered - answeredNotLogged.size(), answeredNotLogged.size(), duplicatedLog);
        report.line("| training examples of logged, labelled predictions | %d | %d | **%d** | **%d** |",
            loggedLabelled.size(), loggedLabelled.size() - lostExamples.size(), lostExamples.size(),
            duplicatedExamples.size());
        report.line("| model versions, unique numbers (records: each version is written again without its "
            + "checkpoint when the next is published) | %d | %d (%d records) | - | **%d** |", byNumber.size(),
            byNumber.size(), versions.size(),
            duplicatedVersions.size());
        report.line("");
        report.line("- events sent: %d valid, %d malformed; Predict calls: %d, answered %d, refused before the first "
            + "model (FAILED_PRECONDITION) %d of which logged %d; failed calls by code: %s", driver.validEvents.size(),
            driver.malformedEvents.sum(), driver.outcomes.size(), answered, notReadyCalls, notReadyLogged,
            driver.failuresByCode());
        report.line("- labels sent: %d; logged predictions (not shadow): %d; training examples: %d (without a logged "
            + "prediction: %d); feature vectors matching no sent event: %d", driver.labelled.size(), logCount.size(),
            examples.size(), examplesWithoutPrediction, unexpectedVectors);
        report.line("- versions: %d numbers (v%s..v%s), parents missing: **%d**%s; lineage (examples learned between "
            + "a version and its parent = committed examples between their input offsets) checked on %d ONLINE "
            + "versions, mismatches: **%d**%s; not checked (RETRAIN or other origin): %d",
            byNumber.size(), byNumber.isEmpty() ? "-" : byNumber.keySet().iterator().next(),
            byNumber.isEmpty() ? "-" : ((TreeMap<Long, ?>) byNumber).lastKey(), missingParents.size(),
            shown(missingParents), lineageChecked, lineageMismatches.size(), shown(lineageMismatches),
            lineageSkipped);
        report.line("- dead letters by reason: %s (labels whose prediction was never logged wait "
            + "featurestore.label.wait.ms before they become UNMATCHED_LABEL)", deadByReason);
        if (!duplicatedVersions.isEmpty()) {
            report.line("- duplicated version numbers: %s", shown(duplicatedVersions.stream().map(v -> "v" + v)
                .toList()));
        }
        report.line("");
        attribute("feature vector lost", lostVectors, plan);
        attribute("feature vector duplicated", duplicatedVectors, plan);
        attributeIds("answered prediction missing from the log", answeredNotLogged, driver, plan);
        attributeIds("training example lost", lostExamples, driver, plan);
        attributeIds("training example duplicated", duplicatedExamples, driver, plan);

        report.line("## Serving outage per restart");
        report.line("");
        report.line("| kill # | no response from the server (s) | no answered prediction (s) | failed calls | "
            + "by code |");
        report.line("|---|---|---|---|---|");
        for (ChaosDriver.ServingOutage o : driver.servingOutages) {
            Map<String, Long> codes = new TreeMap<>();
            o.failuresByCode.forEach((c, n) -> codes.put(c, n.sum()));
            report.line("| %d | %s | %s | %d | %s |", o.killNumber, since(o.killedAtNs, o.firstResponseNs),
                since(o.killedAtNs, o.firstAnswerNs), o.failedCalls.sum(), codes);
        }
        report.line("");
        report.line("A response is any answer or refusal from the server (not UNAVAILABLE or DEADLINE_EXCEEDED); "
            + "failed calls count from the kill to the first answered prediction.");
        report.line("");
        return new Result(driver.validEvents.size(), lostVectors.size(), duplicatedVectors.size(),
            loggedLabelled.size(), lostExamples.size(), duplicatedExamples.size(), answered,
            answeredNotLogged.size(), duplicatedLog, byNumber.size(), duplicatedVersions.size(),
            missingParents.size(), lineageChecked, lineageMismatches.size(), settled, List.copyOf(selfExits));
    }

    private void attribute(String what, List<ChaosDriver.SentEvent> events, List<Done> plan) {
        for (ChaosDriver.SentEvent e : events.subList(0, Math.min(SHOWN, events.size()))) {
            report.line("- %s: %s (entity %s, event time %d, event #%d, %s)", what, e.eventId(), e.entityId(),
                e.eventTimeMs(), e.index(), after(plan, e.index()));
        }
        if (events.size() > SHOWN) {
            report.line("- ... and %d more %s", events.size() - SHOWN, what);
        }
    }

    private void attributeIds(String what, List<String> requestIds, ChaosDriver driver, List<Done> plan) {
        Map<String, ChaosDriver.SentEvent> byId = new HashMap<>();
        driver.validEvents.forEach(e -> byId.put(e.eventId(), e));
        List<ChaosDriver.SentEvent> events = requestIds.stream().map(byId::get).filter(e -> e != null).toList();
        attribute(what, events, plan);
    }

    // Both neighbours: a record lost to a kill is often one sent just before it.
    private static String after(List<Done> done, int eventIndex) {
        Done last = null;
        Done next = null;
        for (Done d : done) {
            if (d.atEvent() <= eventIndex) {
                last = d;
            } else if (next == null) {
                next = d;
            }
        }
        String before = last == null ? "before the first kill" : "after kill #" + last.kill().number() + " of "
            + last.kill().part().cliName + " at event " + last.atEvent();
        return next == null ? before : before + ", " + (next.atEvent() - eventIndex) + " events before kill #"
            + next.kill().number() + " of " + next.kill().part().cliName + " at event " + next.atEvent();
    }

    private static String since(long fromNs, long toNs) {
        return toNs < 0 ? "never" : String.format(Locale.ROOT, "%.1f", (toNs - fromNs) / 1e9);
    }

    private static String shown(List<String> items) {
        if (items.isEmpty()) {
            return "";
        }
        return " (" + String.join("; ", items.subList(0, Math.min(SHOWN, items.size())))
            + (items.size() > SHOWN ? "; ..." : "") + ")";
    }

    // ---- hazards -------------------------------------------------------------------------------------------------

    private void hazards(ChaosDriver driver) throws Exception {
        report.line("## Hazards");
        report.line("");
        report.line("After the core audit, in this order, each followed by a canary (a valid event of a new entity) "
            + "that shows whether the feature store still turns events into vectors; up to %d s each. A hazard whose "
            + "canary fails masks the ones after it.", options.hazardWait().toSeconds());
        report.line("");
        int next = eventsSent;

        // 1. An event 100 years ahead, then three real events of the same entity.
        Map<Integer, Long> features = fromOffsets(Topic.FEATURES);
        Map<Integer, Long> dead = fromOffsets(Topic.DEAD_LETTER);
        long futureMs = System.currentTimeMillis() + Duration.ofDays(36_525).toMillis();
        driver.sendValid("chaos-future", futureMs, 10, 1, "web", false);
        List<Long> realTimes = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            long t = driver.eventTimeAfter(next++);
            realTimes.add(t);
            driver.sendValid("chaos-future", t, 10, 1, "web", false);
        }
        String canary1 = "chaos-canary-1";
        long canary1Time = driver.eventTimeAfter(next++);
        driver.sendValid(canary1, canary1Time, 10, 1, "web", false);
        driver.flushAndCheck();
        boolean canary1Ok = awaitVector(canary1, canary1Time, features);
        List<FeatureVector> futureVectors = vectorsOf("chaos-future", features);
        Map<String, Long> futureDead = deadLettersMentioning("chaos-future", dead);
        long realWithVector = futureVectors.stream().filter(v -> realTimes.contains(v.getEventTimeMs())).count();
        report.line("1. **Far-future event** (entity chaos-future, event time +100 years, then 3 events at the "
            + "stream's time): vectors for the future event %d, for the 3 later real events %d; dead letters of the "
            + "entity by reason %s; canary vector: %s; feature store: %s.",
            futureVectors.stream().filter(v -> v.getEventTimeMs() == futureMs).count(), realWithVector, futureDead,
            canary1Ok ? "yes" : "NO", featureStoreState());

        // 2. A ~1 MB malformed event: fits the topic, its dead letter with the raw bytes would not.
        features = fromOffsets(Topic.FEATURES);
        dead = fromOffsets(Topic.DEAD_LETTER);
        long tooLargeBefore = cluster.logLinesContaining(Part.FEATURE_STORE, "RecordTooLargeException");
        // Just under the producer's and the topic's 1 MiB limit, so the event is accepted and its dead letter (the
        // raw bytes plus the reason and source) is not, unless it is bounded.
        String head = "{\"entity_id\":\"chaos-pill\",\"event_time\":";
        String pill = head + "9".repeat(POISON_PILL_BYTES - head.length());
        driver.sendRaw("chaos-pill", pill);
        String canary2 = "chaos-canary-2";
        long canary2Time = driver.eventTimeAfter(next++);
        driver.sendValid(canary2, canary2Time, 10, 1, "web", false);
        driver.flushAndCheck();
        boolean canary2Ok = awaitVector(canary2, canary2Time, features);
        List<DeadLetter> pillDead = audit.deadLetters(audit.readAll(Topic.DEAD_LETTER, dead)).stream()
            .filter(d -> d.getRawLength() == pill.length() || rawMentions(d, "chaos-pill")).toList();
        report.line("2. **Poison pill** (%d-byte malformed event): dead letters for it %d%s; canary vector: %s; "
            + "RecordTooLargeException lines in the feature store's logs since: %d; feature store: %s.",
            pill.length(), pillDead.size(), pillDead.isEmpty() ? "" : " (reason " + pillDead.get(0).getReason()
                + ", raw bytes kept " + pillDead.get(0).getRawValue().size() + ", raw_length "
                + pillDead.get(0).getRawLength() + ")", canary2Ok ? "yes" : "NO",
            cluster.logLinesContaining(Part.FEATURE_STORE, "RecordTooLargeException") - tooLargeBefore,
            featureStoreState());

        // 3. A costly view: a hopping window of 1 h advancing by 1 ms, applied as an operator would.
        features = fromOffsets(Topic.FEATURES);
        long oomBefore = cluster.logLinesContaining(Part.FEATURE_STORE, "OutOfMemoryError");
        int exitsBefore = selfExits.size();
        Path costly = workDir.resolve("costly-view.yaml");
        Files.writeString(costly, """
            name: chaos_costly
            version: 1
            entity: entity_id
            event_time: event_time
            fields:
              - {name: chaos_amount, path: amount, type: number}
            aggregations:
              - {name: amount_sum_hop, function: sum, field: chaos_amount, window: {type: hopping, size: 1h, advance: 1ms}}
            """);
        ChaosCluster.CommandResult applied = cluster.runFreshet("features", "apply", costly.toString(),
            "--bootstrap-servers", cluster.bootstrapServers(), "--topics-prefix", ChaosCluster.TOPICS_PREFIX);
        String canary3 = "chaos-canary-3";
        long canary3Time = driver.eventTimeAfter(next++);
        driver.sendValid(canary3, canary3Time, 10, 1, "web", false);
        driver.flushAndCheck();
        boolean canary3Ok = awaitVector(canary3, canary3Time, features);
        // The view's cost shows while it backfills the retained history, after the canary perhaps: watch the whole
        // window.
        long watchUntilNs = System.nanoTime() + options.hazardWait().toNanos();
        Map<String, Long> healthSeen = new TreeMap<>();
        while (System.nanoTime() < watchUntilNs) {
            supervise("hazards");
            healthSeen.merge(ChaosCluster.health(cluster.featureStoreGrpcPort), 1L, Long::sum);
            Thread.sleep(1_000);
        }
        long costlyVectors = audit.featureVectors(audit.readAll(Topic.FEATURES, features)).stream()
            .filter(v -> v.getView().equals("chaos_costly")).count();
        report.line("3. **Costly view** (hopping size 1h advance 1ms, `freshet features apply`): exit code %d, "
            + "output: `%s`; canary vector (view %s): %s; vectors of the costly view in the %d s after: %d; "
            + "feature store health, polled (2 s deadline, 1 s apart) over %d s more, polls by answer: %s; feature "
            + "store exits since: %d; "
            + "OutOfMemoryError lines in its logs since: %d; feature store: %s.", applied.exitCode(),
            firstLine(applied.output()), ChaosCluster.VIEW, canary3Ok ? "yes" : "NO",
            options.hazardWait().toSeconds(), costlyVectors, options.hazardWait().toSeconds(), healthSeen,
            selfExits.size() - exitsBefore,
            cluster.logLinesContaining(Part.FEATURE_STORE, "OutOfMemoryError") - oomBefore, featureStoreState());
        report.line("");
    }

    private Map<Integer, Long> fromOffsets(Topic topic) {
        Map<Integer, Long> from = new HashMap<>();
        audit.endOffsets(topic).forEach((p, o) -> from.put(p.partition(), o));
        return from;
    }

    private boolean awaitVector(String entity, long eventTimeMs, Map<Integer, Long> from) throws Exception {
        long deadline = System.nanoTime() + options.hazardWait().toNanos();
        while (System.nanoTime() < deadline) {
            supervise("hazards");
            if (vectorsOf(entity, from).stream().anyMatch(v -> v.getEventTimeMs() == eventTimeMs)) {
                return true;
            }
            Thread.sleep(1_000);
        }
        return false;
    }

    private List<FeatureVector> vectorsOf(String entity, Map<Integer, Long> from) {
        return audit.featureVectors(audit.readAll(Topic.FEATURES, from)).stream()
            .filter(v -> v.getEntityId().equals(entity) && v.getView().equals(ChaosCluster.VIEW)).toList();
    }

    private Map<String, Long> deadLettersMentioning(String text, Map<Integer, Long> from) {
        Map<String, Long> byReason = new TreeMap<>();
        audit.deadLetters(audit.readAll(Topic.DEAD_LETTER, from)).stream().filter(d -> rawMentions(d, text))
            .forEach(d -> byReason.merge(d.getReason().name(), 1L, Long::sum));
        return byReason;
    }

    private static boolean rawMentions(DeadLetter d, String text) {
        return d.getRawValue().toString(StandardCharsets.ISO_8859_1).contains(text);
    }

    private String featureStoreState() {
        Optional<Integer> exit = cluster.exitCode(Part.FEATURE_STORE);
        return (exit.map(code -> "process exited with " + code).orElse("process running"))
            + ", health " + ChaosCluster.health(cluster.featureStoreGrpcPort)
            + ", incarnations " + cluster.incarnations(Part.FEATURE_STORE);
    }

    private static String firstLine(String output) {
        String line = output.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line.replace('`', '\'');
    }

    // ---- monitor -------------------------------------------------------------------------------------------------

    private void monitorFigures() throws Exception {
        long examplesCommitted = audit.endOffsets(Topic.TRAINING_EXAMPLES).values().stream().mapToLong(o -> o)
            .sum();
        List<ChaosAudit.Example> committed = audit.examples(audit.readAll(Topic.TRAINING_EXAMPLES));
        long committedRecords = committed.size();
        // The monitor judges versions: an example of a prediction no model answered (model_version 0) is not its.
        long answeredExamples = committed.stream().filter(e -> e.example().getModelVersion() > 0).count();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        JsonNode report = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + cluster.monitorHttpPort + "/report.json"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    report = new ObjectMapper().readTree(response.body());
                    if (report.path("examplesSeen").asLong() >= answeredExamples) {
                        break;
                    }
                }
            } catch (IOException e) {
                // not listening yet after its restart
            }
            Thread.sleep(1_000);
        }
        this.report.line("## Monitor after its restarts");
        this.report.line("");
        if (report == null) {
            this.report.line("The monitor's /report.json did not answer within 60 s (%s).",
                cluster.exitCode(Part.MONITOR).map(c -> "process exited with " + c).orElse("process running"));
            return;
        }
        this.report.line("- examples seen %d; committed training examples %d, of which of answered predictions "
            + "(model_version > 0) %d (end offsets %d incl. transaction markers); bad records %d; versions tracked %d; "
            + "rolling accuracy %s over %s examples; label coverage %s; actions issued or seen %d; monitoring since %s",
            report.path("examplesSeen").asLong(), committedRecords, answeredExamples, examplesCommitted, report.path("badRecords").asLong(), report.path("versions").size(),
            report.path("rollingAccuracy").path("accuracy").asText(),
            report.path("rollingAccuracy").path("examples").asText(), report.path("labelCoverage").toString(),
            report.path("actions").size(), java.time.Instant.ofEpochMilli(report.path("monitoringSinceMs")
                .asLong()));
        this.report.line("");
        this.report.line("Processes and their logs were in %s (deleted with the machine's temp files).", workDir);
    }

    // ---- set-up --------------------------------------------------------------------------------------------------

    /** The example view file, copied into the work directory so the run does not depend on the working directory. */
    private static Path viewFile(Path workDir) throws IOException {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path example = p.resolve("examples").resolve("transactions.yaml");
            if (Files.isRegularFile(example)) {
                Path copy = workDir.resolve("transactions.yaml");
                Files.copy(example, copy);
                return copy;
            }
        }
        throw new IllegalStateException("examples/transactions.yaml not found above " + Path.of("").toAbsolutePath()
            + "; run the chaos suite from the repository");
    }

    // The machine is shared: a restart's duration means little without the load it ran under.
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + ", " + parts[1] + ", " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void progress(String format, Object... args) {
        System.out.printf("  [chaos] " + format + "%n", args);
    }
}
