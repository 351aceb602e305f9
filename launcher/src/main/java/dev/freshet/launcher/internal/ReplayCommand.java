package dev.freshet.launcher.internal;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.Durations;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.launcher.internal.ReplaySource.Format;
import dev.freshet.launcher.internal.ReplaySource.Row;
import dev.freshet.launcher.internal.ReplaySource.Settings;
import dev.freshet.launcher.internal.ReplaySource.TimeFormat;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code freshet replay FILE --topic T}: loads a historical CSV, ARFF or JSON-lines file (optionally gzipped) into a
 * topic as JSON events in event-time order, as fast as possible or at a multiple of real time, so a data scientist
 * can run a past stream through the platform.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {"Load a CSV, ARFF or JSON-lines file (optionally .gz) into a topic as JSON events, in event-time "
        + "order, as fast as possible or at --speed times real time.",
        "Each row becomes a JSON object (numeric-looking cells as numbers, empty cells left out); the time column "
        + "is rewritten as epoch milliseconds, which every feature view reads."})
public final class ReplayCommand implements Callable<Integer> {
    private static final long PROGRESS_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    /** Where replays go when no cluster is given: a broker on this machine, as `freshet run` prints it. */
    private static final String DEFAULT_BOOTSTRAP = "localhost:9092";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file: .csv, .arff, .jsonl/.ndjson/.json, each optionally .gz.")
    Path file;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "The topic to write to, by its full name "
        + "(e.g. freshet.labels); it must exist. Default: the loop's events topic, <topics.prefix>events.")
    String topic;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--format", paramLabel = "FORMAT",
        description = "csv, arff or jsonl (default: from the file name).")
    String format;

    @Option(names = "--time-column", paramLabel = "COLUMN", defaultValue = "event_time",
        description = "The column (top-level JSON field) with the event time (default: ${DEFAULT-VALUE}).")
    String timeColumn;

    @Option(names = "--time-format", paramLabel = "FORMAT", defaultValue = "auto",
        description = "auto (a whole number is epoch millis, text an ISO-8601 instant, date-time or date, read as UTC), "
            + "epoch_ms, epoch_s or iso (default: ${DEFAULT-VALUE}).")
    String timeFormat;

    @Option(names = "--start", paramLabel = "INSTANT",
        description = "For files without a time column: the first row's event time (ISO-8601, e.g. 1996-05-07T00:00:00Z); row i gets start + i * --step, written to --time-column.")
    Instant start;

    @Option(names = "--step", paramLabel = "DURATION", defaultValue = "1s",
        description = "With --start: the time between rows, e.g. 500ms, 1s, 30m, 1d (default: ${DEFAULT-VALUE}).")
    String step;

    @Option(names = {"--key", "--entity"}, paramLabel = "COLUMN",
        description = "The column whose value becomes the record key (e.g. the entity id). Default: no key.")
    String keyColumn;

    @Option(names = "--string-columns", split = ",", paramLabel = "COLUMN",
        description = "Columns kept as strings even when their values look like numbers (e.g. zip codes).")
    List<String> stringColumns = List.of();

    @Option(names = "--speed", paramLabel = "FACTOR", defaultValue = "0",
        description = "Replay at FACTOR times real time (event-time gaps divided by FACTOR); 0, the default, is as fast as possible.")
    double speed;

    @Option(names = "--reorder-buffer", paramLabel = "ROWS", defaultValue = "100000",
        description = "Rows held to put a file that is not quite in time order back in order (default: ${DEFAULT-VALUE}). A row more than this many rows out of place is still sent, late, and counted.")
    int reorderBuffer;

    @Option(names = "--limit", paramLabel = "ROWS", description = "Stop after this many rows.")
    Long limit;

    @Override
    public Integer call() throws Exception {
        Settings settings = settings();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> config = cluster.withOptions();
        config.merge(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP,
            (given, fallback) -> given.toString().isBlank() ? fallback : given);
        KafkaClients clients = KafkaClients.from(config);
        if (topic == null) {
            topic = TopicLayout.of(config).name(Topic.EVENTS);
        }
        checkTopicExists(clients);
        Map<String, Object> tuning = new HashMap<>();
        tuning.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        tuning.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        tuning.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        SendResults sends = new SendResults();
        // Record timestamps stay the producer's clock: historical timestamps would make the broker's time-based
        // retention delete the data at once. The event time travels in the JSON.
        Replay replay = new Replay(out, settings);
        try (ReplaySource source = new ReplaySource(file, settings);
             KafkaProducer<String, byte[]> producer = clients.idempotentProducer(null, tuning, new StringSerializer(),
                 new ByteArraySerializer())) {
            try {
                replay.run(source, row -> {
                    // Stop at the first refusal: what follows would most likely be refused too.
                    sends.firstFailure().ifPresent(e -> {
                        throw new SendFailed();
                    });
                    producer.send(new ProducerRecord<>(topic, row.key(), row.value()), sends.callback());
                });
            } catch (SendFailed stop) {
                // reported below, once every send in flight has its answer
            }
            producer.flush();
            if (sends.failed() > 0) {
                throw new CommandFailedException("Writing " + file.getFileName() + " to " + topic + " failed: "
                    + sends.describe() + "; the rows after the first failure were not sent. Check the topic and "
                    + "the cluster, then replay again (rows already confirmed will be in the topic twice)",
                    sends.firstFailure().orElse(null));
            }
            replay.summary(source, sends);
        }
        return 0;
    }

    /** Ends the replay loop once a send has failed. */
    private static final class SendFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SendFailed() {
            super(null, null, false, false);
        }
    }

    private Settings settings() {
        Format resolved;
        if (format != null) {
            try {
                resolved = Format.valueOf(format.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new LauncherException("--format '" + format + "' is not one of csv, arff, jsonl.");
            }
        } else {
            resolved = ReplaySource.formatOf(file);
        }
        if (resolved == null) {
            throw new LauncherException("Cannot tell the format of " + file + " from its name; add --format csv, "
                + "arff or jsonl.");
        }
        if (!Files.isReadable(file)) {
            throw new LauncherException("Cannot read " + file + "; give the path of a readable file.");
        }
        TimeFormat time;
        try {
            time = TimeFormat.valueOf(timeFormat.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new LauncherException("--time-format '" + timeFormat + "' is not one of auto, epoch_ms, epoch_s, "
                + "iso.");
        }
        Duration stepDuration;
        try {
            stepDuration = Durations.parse(step);
        } catch (IllegalArgumentException e) {
            throw new LauncherException("--step " + e.getMessage() + ".", e);
        }
        if (speed < 0 || Double.isNaN(speed) || Double.isInfinite(speed)) {
            throw new LauncherException("--speed " + speed + " is not a factor; use 0 for as fast as possible or a "
                + "positive number such as 60.");
        }
        if (reorderBuffer < 0) {
            throw new LauncherException("--reorder-buffer " + reorderBuffer + " is negative; use 0 for none.");
        }
        return new Settings(resolved, timeColumn, time, keyColumn, start == null ? null : start.toEpochMilli(),
            stepDuration.toMillis(), new HashSet<>(stringColumns));
    }

    private void checkTopicExists(KafkaClients clients) throws InterruptedException {
        String bootstrapServers = clients.bootstrapServers();
        try (Admin admin = clients.admin()) {
            admin.describeTopics(List.of(topic)).allTopicNames().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new LauncherException("The topic '" + topic + "' does not exist on " + bootstrapServers
                    + "; start `freshet run` (which creates the platform's topics) or create it first.");
            }
            throw new LauncherException("Cannot reach Kafka at " + bootstrapServers + " (" + e.getCause()
                + "); check --bootstrap-servers.", e);
        } catch (TimeoutException e) {
            throw new LauncherException("Kafka at " + bootstrapServers + " did not answer within 20 s; check "
                + "--bootstrap-servers.", e);
        }
    }

    /** Where a row goes once it is due. */
    @FunctionalInterface
    interface Sink {
        void accept(Row row) throws Exception;
    }

    /** The ordering, pacing and progress of one replay; separate from Kafka so it can be tested alone. */
    final class Replay {
        private final PrintWriter out;
        private final boolean terminal = System.console() != null;
        private final long startedNs = System.nanoTime();
        private long sent;
        private long outOfOrder;
        private long firstTimeMs = Long.MIN_VALUE;
        private long lastTimeMs = Long.MIN_VALUE;
        private long lastProgressNs = startedNs;
        private long lastProgressRows;
        private Long pacingOriginMs;

        Replay(PrintWriter out, Settings settings) {
            this.out = out;
        }

        void run(ReplaySource source, Sink sink) throws Exception {
            // Ties keep file order, so a file already in order is sent exactly as written.
            PriorityQueue<Row> buffer = new PriorityQueue<>(Comparator.comparingLong(Row::eventTimeMs)
                .thenComparingLong(Row::line));
            long max = limit == null ? Long.MAX_VALUE : limit;
            long taken = 0;
            Row row;
            while (taken < max && (row = source.next()) != null) {
                taken++;
                buffer.add(row);
                if (buffer.size() > reorderBuffer) {
                    emit(buffer.poll(), sink, source);
                }
            }
            while (!buffer.isEmpty()) {
                emit(buffer.poll(), sink, source);
            }
            progress(source, true);
        }

        private void emit(Row row, Sink sink, ReplaySource source) throws Exception {
            if (lastTimeMs != Long.MIN_VALUE && row.eventTimeMs() < lastTimeMs) {
                outOfOrder++;
            }
            if (speed > 0) {
                pace(row.eventTimeMs());
            }
            sink.accept(row);
            sent++;
            if (firstTimeMs == Long.MIN_VALUE) {
                firstTimeMs = row.eventTimeMs();
            }
            lastTimeMs = Math.max(lastTimeMs, row.eventTimeMs());
            if ((sent & 1023) == 0 && System.nanoTime() - lastProgressNs >= PROGRESS_INTERVAL_NS) {
                progress(source, false);
            }
        }

        /** Waits until the row's event time, scaled by the speed, has passed since the first row. */
        private void pace(long eventTimeMs) {
            if (pacingOriginMs == null) {
                pacingOriginMs = eventTimeMs;
            }
            long dueNs = startedNs + (long) ((eventTimeMs - pacingOriginMs) * 1_000_000.0 / speed);
            long waitNs;
            while ((waitNs = dueNs - System.nanoTime()) > 0) {
                LockSupport.parkNanos(waitNs);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new LauncherException("Interrupted while pacing the replay.");
                }
            }
        }

        private void progress(ReplaySource source, boolean last) {
            long now = System.nanoTime();
            double seconds = Math.max(1e-9, (now - lastProgressNs) / 1e9);
            double rate = (sent - lastProgressRows) / seconds;
            lastProgressNs = now;
            lastProgressRows = sent;
            double fraction = last ? 1.0 : source.fractionRead();
            int filled = (int) Math.round(fraction * 20);
            String line = String.format(Locale.ROOT, "[%s%s] %5.1f%% %,12d rows %,10.0f rows/s  event time %s",
                "#".repeat(filled), "-".repeat(20 - filled), fraction * 100, sent, rate,
                lastTimeMs == Long.MIN_VALUE ? "-" : Instant.ofEpochMilli(lastTimeMs).truncatedTo(ChronoUnit.SECONDS));
            // On a terminal the bar redraws in place; in a log, a line per second.
            out.print(terminal ? "\r" + line + (last ? System.lineSeparator() : "") : line + System.lineSeparator());
            out.flush();
        }

        void summary(ReplaySource source, SendResults sends) {
            double seconds = (System.nanoTime() - startedNs) / 1e9;
            long acked = sends.confirmed();
            out.printf(Locale.ROOT, "Replayed %,d rows from %s to %s in %.1f s (%,.0f rows/s); event time %s to %s.%n",
                acked, file.getFileName(), topic, seconds, acked / Math.max(seconds, 1e-9),
                firstTimeMs == Long.MIN_VALUE ? "-" : Instant.ofEpochMilli(firstTimeMs),
                lastTimeMs == Long.MIN_VALUE ? "-" : Instant.ofEpochMilli(lastTimeMs));
            if (outOfOrder > 0) {
                out.printf(Locale.ROOT, "%,d rows were more than --reorder-buffer %d rows out of time order and were "
                    + "sent late; raise --reorder-buffer or sort the file by %s.%n", outOfOrder, reorderBuffer,
                    timeColumn);
            }
            if (source.skippedCount() > 0) {
                out.printf(Locale.ROOT, "Skipped %,d rows that could not be read, e.g. %s.%n", source.skippedCount(),
                    String.join("; ", source.skippedExamples()));
            }
            out.printf(Locale.ROOT, "Kafka confirmed %,d of the %,d rows sent.%n", acked, sends.sent());
            out.flush();
        }

        long sent() {
            return sent;
        }

        long outOfOrder() {
            return outOfOrder;
        }
    }
}
