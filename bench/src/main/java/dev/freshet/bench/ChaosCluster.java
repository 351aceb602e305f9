package dev.freshet.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;

/**
 * The chaos suite's processes: a standalone broker and each component of the loop in a JVM of its own, all on fixed
 * ports and directories under one work directory, so that each can be killed with {@code kill -9} and started again
 * on the same state. Every incarnation's output goes to its own log file there.
 */
final class ChaosCluster implements AutoCloseable {
    static final String TOPICS_PREFIX = "chaos.";
    static final String MODEL = "default";
    static final String VIEW = "transactions";

    /** A process of the suite, named as {@code freshet run --components} names it. */
    enum Part {
        BROKER("broker"), FEATURE_STORE("feature-store"), TRAINER("trainer"), SERVING("serving"), MONITOR("monitor");

        final String cliName;

        Part(String cliName) {
            this.cliName = cliName;
        }
    }

    private static final Duration BROKER_READY_TIMEOUT = Duration.ofSeconds(240);
    private static final String COMPONENT_HEAP = "-Xmx512m";

    private final Path workDir;
    private final Path viewFile;
    private final String classpath;
    private final String java;
    private final String predictionLogDurability;
    final int brokerPort = freePort();
    private final int controllerPort = freePort();
    final int servingPort = freePort();
    final int featureStoreGrpcPort = freePort();
    final int monitorHttpPort = freePort();
    private final Map<Part, Process> running = new EnumMap<>(Part.class);
    private final Map<Part, Integer> incarnations = new EnumMap<>(Part.class);

    ChaosCluster(Path workDir, Path viewFile, String predictionLogDurability) {
        this.predictionLogDurability = predictionLogDurability;
        this.workDir = workDir;
        this.viewFile = viewFile;
        this.classpath = childClasspath();
        this.java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A bench stopped with Ctrl-C must not leave a broker and four JVMs behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (running) {
                running.values().forEach(Process::destroyForcibly);
            }
        }, "chaos-cleanup"));
    }

    String bootstrapServers() {
        return "localhost:" + brokerPort;
    }

    /** Starts the broker and waits for its ready line. */
    void startBroker() throws IOException, InterruptedException {
        Process process = launch(Part.BROKER, List.of(java, "-Xmx512m", "-cp", classpath,
            EmbeddedKafkaBroker.class.getName(), workDir.resolve("broker").toString(),
            Integer.toString(brokerPort), Integer.toString(controllerPort)));
        Path log = logOf(Part.BROKER);
        long deadline = System.nanoTime() + BROKER_READY_TIMEOUT.toNanos();
        while (!Files.readString(log, StandardCharsets.ISO_8859_1).contains(EmbeddedKafkaBroker.READY_LINE)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The standalone broker exited with " + process.exitValue()
                    + " before it was ready; see " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The standalone broker printed no ready line within "
                    + BROKER_READY_TIMEOUT.toSeconds() + " s; see " + log);
            }
            Thread.sleep(100);
        }
    }

    /** Starts one component with {@code freshet run --components NAME}; does not wait for it. */
    void startComponent(Part part) throws IOException {
        List<String> command = new ArrayList<>(List.of(java, COMPONENT_HEAP, "-cp", classpath,
            "dev.freshet.launcher.Freshet", "run", "--components", part.cliName,
            "--bootstrap-servers", bootstrapServers(), "--topics-prefix", TOPICS_PREFIX));
        Path state = workDir.resolve("state");
        switch (part) {
            case FEATURE_STORE -> {
                set(command, "featurestore.view.file", viewFile.toString());
                set(command, "featurestore.state.dir", state.resolve("feature-store").toString());
                set(command, "featurestore.grpc.port", Integer.toString(featureStoreGrpcPort));
            }
            case TRAINER -> set(command, "trainer.model.name", MODEL);
            case SERVING -> {
                set(command, "serving.port", Integer.toString(servingPort));
                set(command, "serving.state.dir", state.resolve("serving").toString());
                set(command, "serving.model.name", MODEL);
                set(command, "serving.prediction.log.durability", predictionLogDurability);
            }
            case MONITOR -> {
                set(command, "monitor.http.port", Integer.toString(monitorHttpPort));
                set(command, "monitor.model.name", MODEL);
            }
            case BROKER -> throw new IllegalArgumentException("the broker is started with startBroker()");
        }
        launch(part, command);
    }

    /** Runs a one-shot {@code freshet} command (e.g. {@code features apply}) to its end. */
    CommandResult runFreshet(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", classpath,
            "dev.freshet.launcher.Freshet"));
        command.addAll(List.of(args));
        Path output = workDir.resolve("logs").resolve("freshet-" + args[0] + "-" + System.nanoTime() + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
            .start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            return new CommandResult(-1, "did not end within 2 minutes");
        }
        return new CommandResult(process.exitValue(), Files.readString(output, StandardCharsets.ISO_8859_1).trim());
    }

    record CommandResult(int exitCode, String output) {
    }

    /**
     * Waits until the current incarnation of {@code part} logs a line containing {@code text}.
     *
     * @throws IllegalStateException when it exits first or does not log it within {@code timeout}
     */
    void awaitLogLine(Part part, String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path log = logOf(part);
        while (!Files.readString(log, StandardCharsets.ISO_8859_1).contains(text)) {
            if (!isAlive(part)) {
                throw new IllegalStateException(part.cliName + " exited before it logged '" + text + "'; see " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(part.cliName + " did not log '" + text + "' within "
                    + timeout.toSeconds() + " s; see " + log);
            }
            Thread.sleep(200);
        }
    }

    /**
     * When incarnation {@code incarnation} of {@code part} first logged a line containing {@code text}, by the
     * time of day that starts each line of the components' log; empty when it never did.
     */
    Optional<LocalTime> loggedAt(Part part, int incarnation, String text) throws IOException {
        Path log = workDir.resolve("logs").resolve(part.cliName + "-" + incarnation + ".log");
        if (!Files.exists(log)) {
            return Optional.empty();
        }
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(text) && l.length() > 12).findFirst().flatMap(l -> {
                try {
                    return Optional.of(LocalTime.parse(l.substring(0, 12)));
                } catch (DateTimeParseException e) {
                    return Optional.empty();
                }
            });
        }
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed or committed. Waits until the process is gone. */
    void kill(Part part) throws InterruptedException {
        Process process;
        synchronized (running) {
            process = running.remove(part);
        }
        if (process != null) {
            process.destroyForcibly().waitFor();
        }
    }

    boolean isAlive(Part part) {
        Process process = running.get(part);
        return process != null && process.isAlive();
    }

    /** The exit code of a part that exited by itself; empty while it runs. */
    Optional<Integer> exitCode(Part part) {
        Process process = running.get(part);
        return process == null || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    int incarnations(Part part) {
        return incarnations.getOrDefault(part, 0);
    }

    /** The gRPC health of the server on {@code port} for all services, or what prevented asking. */
    static String health(int port) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            HealthCheckResponse response = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
            return response.getStatus().name();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        } finally {
            channel.shutdownNow();
        }
    }

    Path logOf(Part part) {
        return workDir.resolve("logs").resolve(part.cliName + "-" + incarnations(part) + ".log");
    }

    /** Counts the lines of every log of {@code part} so far that contain {@code text}. */
    long logLinesContaining(Part part, String text) throws IOException {
        long count = 0;
        for (int i = 1; i <= incarnations(part); i++) {
            Path log = workDir.resolve("logs").resolve(part.cliName + "-" + i + ".log");
            if (Files.exists(log)) {
                try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
                    count += lines.filter(l -> l.contains(text)).count();
                }
            }
        }
        return count;
    }

    private Process launch(Part part, List<String> command) throws IOException {
        incarnations.merge(part, 1, Integer::sum);
        Files.createDirectories(workDir.resolve("logs"));
        Path log = logOf(part);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        synchronized (running) {
            running.put(part, process);
        }
        return process;
    }

    private static void set(List<String> command, String key, String value) {
        command.add("-D");
        command.add(key + "=" + value);
    }

    /** Stops every process, components first, with SIGTERM and then, after a grace period, SIGKILL. */
    @Override
    public void close() {
        for (Part part : List.of(Part.MONITOR, Part.SERVING, Part.TRAINER, Part.FEATURE_STORE, Part.BROKER)) {
            Process process;
            synchronized (running) {
                process = running.remove(part);
            }
            if (process != null) {
                process.destroy();
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // Under Maven the JVM's own class path is a manifest-only jar; the test class path is the real one.
    private static String childClasspath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free loopback port for the chaos suite", e);
        }
    }
}
