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
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.AuthenticationException;
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
 *
 * <p>Plaintext without authorization by default. {@link #startSecured} and the {@code startStandalone} overload with
 * a super user start it as a secured cluster instead: clients authenticate with SASL/SCRAM-SHA-256 over
 * SASL_PLAINTEXT, the StandardAuthorizer refuses whatever no ACL allows, and only the super user (the broker itself)
 * may do anything; {@link #createUsers} and {@link #createAcls} then give other principals their rights.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String SASL_LISTENER = "SASL_PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** The SASL mechanism of a secured broker's client listener. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-256";
    private static final int SCRAM_ITERATIONS = 4096;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    /** The line {@link #main} prints on stdout once the broker answers, followed by its bootstrap servers. */
    public static final String READY_LINE = "freshet-kafka ready ";

    private final Path dataDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final boolean deleteOnClose;
    private final SaslUser superUser;

    private EmbeddedKafkaBroker(Path dataDir, KafkaRaftServer server, String bootstrapServers,
                                boolean deleteOnClose, SaslUser superUser) {
        this.dataDir = dataDir;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.deleteOnClose = deleteOnClose;
        this.superUser = superUser;
    }

    /**
     * A SCRAM user: a name and its password.
     *
     * @param name     the user's name; its principal is {@code User:<name>}
     * @param password its password; {@link #toString()} leaves it out
     */
    public record SaslUser(String name, String password) {
        public SaslUser {
            if (name == null || name.isBlank() || name.contains(",") || name.contains("=")) {
                throw new IllegalArgumentException("A SCRAM user name must be non-blank, without ',' or '=': '" + name
                    + "'");
            }
            // The password goes into a JAAS line and the storage formatter's SCRAM argument, which quote nothing.
            if (password == null || password.isEmpty() || password.chars().anyMatch(c -> "\"\\,[]".indexOf(c) >= 0
                    || Character.isWhitespace(c))) {
                throw new IllegalArgumentException("SCRAM user '" + name + "' needs a non-empty password without "
                    + "spaces, quotes, backslashes, commas or brackets");
            }
        }

        /** The user's principal as ACLs name it, e.g. {@code User:alice}. */
        public String principal() {
            return "User:" + name;
        }

        @Override
        public String toString() {
            return principal();
        }
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
        int[] ports = freePorts();
        return start(dataDir, ports[0], ports[1], true, null);
    }

    /**
     * As {@link #start()}, but secured: SASL_PLAINTEXT with {@value #SCRAM_MECHANISM}, the StandardAuthorizer, and
     * {@code superUser} as the only principal with rights until {@link #createAcls} grants others some.
     *
     * @throws EmbeddedKafkaException if the broker cannot start within a minute
     */
    public static EmbeddedKafkaBroker startSecured(SaslUser superUser) {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("freshet-kafka-");
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot create a temporary directory for the embedded broker's logs", e);
        }
        int[] ports = freePorts();
        return start(dataDir, ports[0], ports[1], true, requireNonNull(superUser));
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
        return startStandalone(dataDir, brokerPort, controllerPort, null);
    }

    /**
     * As {@link #startStandalone(Path, int, int)}, secured as {@link #startSecured} when {@code superUser} is not
     * null. The super user's credential is written when the directory is formatted: a restart on the same directory
     * must name the same super user and password, and keeps the users and ACLs created meanwhile.
     */
    public static EmbeddedKafkaBroker startStandalone(Path dataDir, int brokerPort, int controllerPort,
                                                      SaslUser superUser) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot create the broker's directory " + dataDir
                + "; give a writable path", e);
        }
        return start(dataDir, brokerPort, controllerPort, false, superUser);
    }

    private static EmbeddedKafkaBroker start(Path dataDir, int brokerPort, int controllerPort,
                                             boolean deleteOnClose, SaslUser superUser) {
        long startedNs = System.nanoTime();
        Path logDir = dataDir.resolve("log");
        Map<String, Object> props = brokerProperties(logDir.toString(), brokerPort, controllerPort);
        if (superUser != null) {
            props.putAll(securedProperties(brokerPort, controllerPort, superUser));
        }
        KafkaConfig config = new KafkaConfig(props, false);
        if (Files.exists(logDir.resolve("meta.properties"))) {
            log.info("Embedded Kafka broker reuses its logs in {}.", logDir);
        } else {
            format(config, logDir.toString(), superUser);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        String bootstrap = "localhost:" + brokerPort;
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, server, bootstrap, deleteOnClose, superUser);
        try {
            broker.awaitReady();
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        log.info("Embedded Kafka broker is ready at {}{} after {} ms.", bootstrap,
            superUser == null ? "" : " (SASL_PLAINTEXT, " + SCRAM_MECHANISM + ", ACLs; super user " + superUser.name()
                + ")", (System.nanoTime() - startedNs) / 1_000_000);
        return broker;
    }

    /**
     * Runs a standalone broker as a process of its own until it is stopped (a shutdown hook closes it and keeps its
     * logs): {@code EmbeddedKafkaBroker DIR BROKER_PORT CONTROLLER_PORT [--sasl-users FILE]}. With
     * {@code --sasl-users}, the broker is secured as {@link #startSecured}: FILE has one {@code name:password} line
     * per SCRAM user, the first being the super user (the same on every restart); the others are created or have
     * their password set at each start. Once the broker answers, prints {@value #READY_LINE} followed by its bootstrap
     * servers on stdout, for a parent process to wait for.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3 && !(args.length == 5 && args[3].equals("--sasl-users"))) {
            System.err.println("usage: EmbeddedKafkaBroker DIR BROKER_PORT CONTROLLER_PORT [--sasl-users FILE]");
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
        List<SaslUser> users;
        try {
            users = args.length == 5 ? readUsers(Path.of(args[4])) : List.of();
        } catch (IllegalArgumentException e) {
            System.err.println("EmbeddedKafkaBroker: " + e.getMessage());
            System.exit(2);
            return;
        }
        EmbeddedKafkaBroker broker = startStandalone(Path.of(args[0]), brokerPort, controllerPort,
            users.isEmpty() ? null : users.get(0));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            closed.countDown();
        }, "freshet-kafka-shutdown"));
        if (users.size() > 1) {
            broker.createUsers(users.subList(1, users.size()));
        }
        System.out.println(READY_LINE + broker.bootstrapServers());
        System.out.flush();
        closed.await();
    }

    /**
     * Reads {@code name:password} lines (blank lines and lines starting with '#' skipped).
     *
     * @throws IllegalArgumentException naming the file and line of a mistake, or when it has no user
     */
    static List<SaslUser> readUsers(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --sasl-users " + file + ": " + e.getMessage(), e);
        }
        List<SaslUser> users = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            try {
                if (colon <= 0) {
                    throw new IllegalArgumentException("expected name:password");
                }
                users.add(new SaslUser(line.substring(0, colon), line.substring(colon + 1)));
            } catch (IllegalArgumentException e) {
                // The line holds a password: say which line, not what it says.
                throw new IllegalArgumentException("--sasl-users " + file + " line " + (i + 1) + ": "
                    + e.getMessage(), e);
            }
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("--sasl-users " + file + " names no user; write name:password lines, "
                + "the first for the broker's super user");
        }
        return users;
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

    /**
     * The client listener takes SCRAM only; the controller listener, which takes no client's requests, authenticates
     * the broker with PLAIN (SCRAM credentials live in the metadata the controller serves, so they cannot
     * authenticate the broker to it). Both name the super user, so no ACL is needed before clients get theirs.
     */
    private static Map<String, Object> securedProperties(int brokerPort, int controllerPort, SaslUser superUser) {
        Map<String, Object> props = new HashMap<>();
        props.put("listeners", SASL_LISTENER + "://localhost:" + brokerPort + ","
            + CONTROLLER_LISTENER + "://localhost:" + controllerPort);
        props.put("advertised.listeners", SASL_LISTENER + "://localhost:" + brokerPort);
        props.put("listener.security.protocol.map",
            SASL_LISTENER + ":SASL_PLAINTEXT," + CONTROLLER_LISTENER + ":SASL_PLAINTEXT");
        props.put("inter.broker.listener.name", SASL_LISTENER);
        props.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
        props.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
        props.put("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config", scramJaas(superUser));
        props.put("sasl.mechanism.controller.protocol", "PLAIN");
        props.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        props.put("listener.name.controller.plain.sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + superUser.name()
                + "\" password=\"" + superUser.password() + "\" user_" + superUser.name() + "=\""
                + superUser.password() + "\";");
        props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        props.put("super.users", superUser.principal());
        return props;
    }

    private static String scramJaas(SaslUser user) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user.name()
            + "\" password=\"" + user.password() + "\";";
    }

    /**
     * The settings a Kafka client needs to authenticate to a secured embedded broker as {@code user}:
     * {@code security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config}.
     */
    public static Map<String, String> clientSettings(SaslUser user) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", SCRAM_MECHANISM,
            "sasl.jaas.config", scramJaas(user));
    }

    /** Whether clients must authenticate ({@link #startSecured}). */
    public boolean secured() {
        return superUser != null;
    }

    /**
     * The settings of a client with every right: the super user's {@link #clientSettings}; empty when the broker is
     * not secured.
     */
    public Map<String, String> superUserSettings() {
        return superUser == null ? Map.of() : clientSettings(superUser);
    }

    /**
     * Creates (or changes the password of) SCRAM users through the super user, and returns once each can
     * authenticate, since the broker learns of a credential a moment after the controller took it.
     *
     * @throws IllegalStateException when the broker is not secured
     * @throws EmbeddedKafkaException when the broker refuses or a user cannot authenticate within a minute
     */
    public void createUsers(Collection<SaslUser> users) {
        requireSecured();
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        for (SaslUser user : users) {
            upserts.add(new UserScramCredentialUpsertion(user.name(),
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, SCRAM_ITERATIONS), user.password()));
        }
        try (Admin admin = superAdmin()) {
            admin.alterUserScramCredentials(upserts).all().get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new EmbeddedKafkaException("The embedded broker refused to create SCRAM users " + users, e);
        }
        for (SaslUser user : users) {
            awaitAuthenticates(user);
        }
        log.info("Embedded Kafka broker has SCRAM users {}.", users);
    }

    private void awaitAuthenticates(SaslUser user) {
        Map<String, Object> props = new HashMap<>(clientSettings(user));
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(props)) {
            while (true) {
                try {
                    admin.describeCluster().clusterId().get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof AuthenticationException) || System.nanoTime() > deadline) {
                        throw new EmbeddedKafkaException("SCRAM user " + user.name() + " cannot authenticate to the "
                            + "embedded broker at " + bootstrapServers, e.getCause());
                    }
                    Thread.sleep(50);
                }
            }
        } catch (InterruptedException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new EmbeddedKafkaException("SCRAM user " + user.name() + " was not ready in time", e);
        }
    }

    /**
     * Creates ACLs through the super user and returns once the broker enforces them (it answers DescribeAcls from
     * the authorizer it checks requests with).
     *
     * @throws IllegalStateException when the broker is not secured
     * @throws EmbeddedKafkaException when the broker refuses or does not show them within a minute
     */
    public void createAcls(Collection<AclBinding> acls) {
        requireSecured();
        try (Admin admin = superAdmin()) {
            admin.createAcls(acls).all().get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (!admin.describeAcls(AclBindingFilter.ANY).values().get().containsAll(acls)) {
                if (System.nanoTime() > deadline) {
                    throw new EmbeddedKafkaException("The embedded broker did not enforce " + acls.size()
                        + " new ACLs within " + READY_TIMEOUT.toSeconds() + " s", null);
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while creating ACLs", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new EmbeddedKafkaException("The embedded broker refused ACLs " + acls, e);
        }
    }

    private Admin superAdmin() {
        Map<String, Object> props = new HashMap<>(superUserSettings());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    private void requireSecured() {
        if (superUser == null) {
            throw new IllegalStateException("The embedded broker at " + bootstrapServers + " is not secured; start it "
                + "with startSecured to have users and ACLs");
        }
    }

    private static <T> T requireNonNull(T value) {
        if (value == null) {
            throw new IllegalArgumentException("A secured broker needs its super user");
        }
        return value;
    }

    private static void format(KafkaConfig config, String logDir, SaslUser superUser) {
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            new Formatter()
                .setPrintStream(quiet)
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(config.nodeId())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setMetadataLogDirectory(logDir)
                .setDirectories(List.of(logDir))
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setScramArguments(superUser == null ? List.of() : List.of(SCRAM_MECHANISM + "=[name="
                    + superUser.name() + ",password=" + superUser.password() + "]"))
                .run();
        } catch (Exception e) {
            throw new EmbeddedKafkaException("Cannot format the embedded broker's log directory " + logDir, e);
        }
    }

    private void awaitReady() {
        Properties props = new Properties();
        props.putAll(superUserSettings());
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

    /**
     * Two distinct free loopback ports, for the client and controller listeners. Both sockets are held open while
     * the second is chosen: asked one after the other, the system may hand out the same port twice, and the broker
     * refuses two listeners on one port.
     */
    private static int[] freePorts() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket first = new ServerSocket(0, 1, loopback);
             ServerSocket second = new ServerSocket(0, 1, loopback)) {
            first.setReuseAddress(true);
            second.setReuseAddress(true);
            return new int[] {first.getLocalPort(), second.getLocalPort()};
        } catch (IOException e) {
            throw new UncheckedIOException("No free loopback ports for the embedded broker", e);
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
