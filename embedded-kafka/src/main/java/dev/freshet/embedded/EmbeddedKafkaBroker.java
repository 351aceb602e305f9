package dev.freshet.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running in this JVM.
 *
 * <p>Freshet uses it when no bootstrap servers are configured, and its tests use it as their broker:
 * the clients talk to it over loopback TCP exactly as they would to a cluster. {@link #start()} keeps its logs in
 * a temporary directory that {@link #close()} deletes. {@link #startStandalone} keeps them in a given directory on
 * fixed ports, so that the broker can be killed and started again on the same logs; {@link #main} runs it so as a
 * process of its own. Thread-safe; start once, close once.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    /** The line {@link #main} prints on stdout once the broker answers, followed by its bootstrap servers. */
    public static final String READY_LINE = "freshet-kafka ready ";

    private final Path dataDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final boolean deleteOnClose;

    private EmbeddedKafkaBroker(Path dataDir, KafkaRaftServer server, String bootstrapServers,
                                boolean deleteOnClose) {
        this.dataDir = dataDir;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.deleteOnClose = deleteOnClose;
    }

    /**
     * Formats a fresh log directory, starts the broker and waits until it answers metadata requests.
     *
     * @throws EmbeddedKafkaException if the broker cannot start within a minute
     */
    public static EmbeddedKafkaBroker start() {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("freshet-kafka-");
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot create a temporary directory for the embedded broker's logs", e);
        }
        return start(dataDir, freePort(), freePort(), true);
    }

    /**
     * Starts the broker on {@code dataDir} and fixed ports, formatting the directory only when it holds no broker
     * yet (no {@code log/meta.properties}), and waits until it answers metadata requests. {@link #close()} keeps the
     * logs, and so does a killed process: starting again on the same directory and ports brings back its topics,
     * records, committed offsets and transaction state.
     *
     * @param dataDir        the broker's directory, created when absent
     * @param brokerPort     the clients' port on localhost
     * @param controllerPort the KRaft controller's port on localhost; fixed too, since the quorum is recorded in
     *                       the metadata log
     * @throws EmbeddedKafkaException if the directory cannot be created or the broker cannot start within a minute
     */
    public static EmbeddedKafkaBroker startStandalone(Path dataDir, int brokerPort, int controllerPort) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot create the broker's directory " + dataDir
                + "; give a writable path", e);
        }
        return start(dataDir, brokerPort, controllerPort, false);
    }

    private static EmbeddedKafkaBroker start(Path dataDir, int brokerPort, int controllerPort,
                                             boolean deleteOnClose) {
        long startedNs = System.nanoTime();
        Path logDir = dataDir.resolve("log");
        KafkaConfig config = new KafkaConfig(brokerProperties(logDir.toString(), brokerPort, controllerPort), false);
        if (Files.exists(logDir.resolve("meta.properties"))) {
            log.info("Embedded Kafka broker reuses its logs in {}.", logDir);
        } else {
            format(config, logDir.toString());
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        String bootstrap = "localhost:" + brokerPort;
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, server, bootstrap, deleteOnClose);
        try {
            broker.awaitReady();
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        log.info("Embedded Kafka broker is ready at {} after {} ms.", bootstrap,
            (System.nanoTime() - startedNs) / 1_000_000);
        return broker;
    }

    /**
     * Runs a standalone broker as a process of its own until it is stopped (a shutdown hook closes it and keeps its
     * logs): {@code EmbeddedKafkaBroker DIR BROKER_PORT CONTROLLER_PORT}. Once the broker answers, prints
     * {@value #READY_LINE} followed by its bootstrap servers on stdout, for a parent process to wait for.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: EmbeddedKafkaBroker DIR BROKER_PORT CONTROLLER_PORT");
            System.exit(2);
        }
        int brokerPort;
        int controllerPort;
        try {
            brokerPort = Integer.parseInt(args[1]);
            controllerPort = Integer.parseInt(args[2]);
        } catch (NumberFormatException e) {
            System.err.println("EmbeddedKafkaBroker: ports must be numbers, got '" + args[1] + "' and '" + args[2]
                + "'");
            System.exit(2);
            return;
        }
        EmbeddedKafkaBroker broker = startStandalone(Path.of(args[0]), brokerPort, controllerPort);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            closed.countDown();
        }, "freshet-kafka-shutdown"));
        System.out.println(READY_LINE + broker.bootstrapServers());
        System.out.flush();
        closed.await();
    }

    /** The {@code host:port} list for Kafka clients. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Stops the broker; deletes its logs unless it was started with {@link #startStandalone}. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
        log.info("Embedded Kafka broker at {} stopped.", bootstrapServers);
    }

    private static Map<String, Object> brokerProperties(String logDir, int brokerPort, int controllerPort) {
        Map<String, Object> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        props.put("listeners", BROKER_LISTENER + "://localhost:" + brokerPort + ","
            + CONTROLLER_LISTENER + "://localhost:" + controllerPort);
        props.put("advertised.listeners", BROKER_LISTENER + "://localhost:" + brokerPort);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("listener.security.protocol.map",
            BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("inter.broker.listener.name", BROKER_LISTENER);
        props.put("log.dirs", logDir);
        props.put("metadata.log.dir", logDir);
        // One node: every internal topic must fit on it, including the transaction log that
        // exactly_once_v2 needs.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "4");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        // Small segments and a small cleaner buffer keep a laptop's memory and disk free.
        props.put("log.cleaner.dedupe.buffer.size", "2097152");
        props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        return props;
    }

    private static void format(KafkaConfig config, String logDir) {
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            new Formatter()
                .setPrintStream(quiet)
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(config.nodeId())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setMetadataLogDirectory(logDir)
                .setDirectories(List.of(logDir))
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
        } catch (Exception e) {
            throw new EmbeddedKafkaException("Cannot format the embedded broker's log directory " + logDir, e);
        }
    }

    private void awaitReady() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(props)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new EmbeddedKafkaException("The embedded broker at " + bootstrapServers
                            + " did not become ready within " + READY_TIMEOUT.toSeconds() + " s", e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new EmbeddedKafkaException("The embedded broker at " + bootstrapServers
                        + " reported no nodes within " + READY_TIMEOUT.toSeconds() + " s", null);
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free loopback port for the embedded broker", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("Could not delete the embedded broker's directory {}: {}", dir, e.getMessage());
        }
    }
}
