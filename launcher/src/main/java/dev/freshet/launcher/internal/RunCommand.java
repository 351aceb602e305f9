package dev.freshet.launcher.internal;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code freshet run}: starts all components, or the ones named, against a cluster, and runs until stopped, so the
 * loop can be spread over several processes that meet through Kafka.
 *
 * <p>Supervises what it started: when a stage of any component stops for good, it closes the others in reverse
 * order of their start and exits with code 1, leaving the restart to whatever runs the process (systemd, Kubernetes),
 * which can back off and alert. Restarting a stage in the process was not chosen: a stage stops for good only on
 * what a restart does not fix by itself (a second trainer fenced this one, a topic was deleted, a command was
 * refused), and a process that restarts stages forever hides that from the operator.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run all components, or the ones named, until stopped (Ctrl-C or SIGTERM).",
        "If a stage of a component stops for good (e.g. a second trainer of the same model fenced this one), the "
            + "others are closed in order and the command exits with code 1, printing one line "
            + "'freshet: <component>: <stage> stopped: <reason>'; it does not restart the stage, so that whatever "
            + "runs the process (systemd, Kubernetes) sees the failure, restarts with its own back-off and alerts."},
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:stopped by a signal (Ctrl-C, SIGTERM)",
        "1:a stage of a component stopped for good",
        "2:a start-up mistake (a key, a file, a port in use, an unreachable cluster); nothing was left running"})
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    static final String TOPICS_PARTITIONS_CONFIG = "topics.partitions";
    static final String TOPICS_REPLICATION_FACTOR_CONFIG = "topics.replication.factor";
    /** How long a start waits for the cluster to answer unless told otherwise. */
    static final Duration DEFAULT_CLUSTER_TIMEOUT = Duration.ofSeconds(30);

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--components", split = ",", paramLabel = "NAME",
        description = "Components to run: feature-store, trainer, serving, monitor (default: all).")
    List<String> components = List.of();

    @Option(names = "--cluster-timeout", defaultValue = "30s", converter = DemoCommand.DurationConverter.class,
        paramLabel = "DURATION",
        description = "How long to wait at start for the Kafka cluster to answer before giving up with exit code 2 "
            + "(default: ${DEFAULT-VALUE}).")
    Duration clusterTimeout;

    /** The keys the launcher itself reads; each component declares its own. */
    public static ConfigDef configDef() {
        return CommonConfig.defineShared(new ConfigDef(), false)
            .define(TOPICS_PARTITIONS_CONFIG, ConfigDef.Type.INT, -1, ConfigDef.Range.between(-1, 10_000),
                ConfigDef.Importance.MEDIUM,
                "Partitions of each topic Freshet creates; -1 uses the broker's default. More partitions let more instances share the work.")
            .define(TOPICS_REPLICATION_FACTOR_CONFIG, ConfigDef.Type.INT, -1, ConfigDef.Range.between(-1, 32),
                ConfigDef.Importance.MEDIUM,
                "Replicas of each topic Freshet creates; -1 uses the broker's default.");
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Object> props = cluster.withOptions();
        AbstractConfig launcherConfig = new AbstractConfig(configDef(), props, false);
        Set<Platform.Component> selected = selectedComponents();
        if (clusterTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new LauncherException("--cluster-timeout must be at least 1s, got " + clusterTimeout);
        }
        // Everything is checked before anything exists: a refused key or file leaves no broker and no topic behind.
        Platform.validate(props, selected);
        EmbeddedKafkaBroker broker = null;
        if (launcherConfig.getString(CommonConfig.BOOTSTRAP_SERVERS_CONFIG).isBlank()) {
            broker = EmbeddedKafkaBroker.start();
            props.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            System.out.println("Started an embedded Kafka broker at " + broker.bootstrapServers()
                + "; other processes can join with --bootstrap-servers " + broker.bootstrapServers());
        }
        Platform platform;
        try {
            ensureTopics(props, launcherConfig, clusterTimeout);
            platform = Platform.start(props, selected);
        } catch (RuntimeException e) {
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
        return superviseUntilStopped(platform, broker, selected, props);
    }

    /**
     * Waits for a signal (returns 0; the shutdown hook closes everything) or for the first stage to stop for good
     * (closes everything here and throws).
     */
    private static int superviseUntilStopped(Platform platform, EmbeddedKafkaBroker broker,
                                             Set<Platform.Component> selected, Map<String, Object> props)
            throws InterruptedException {
        CountDownLatch ended = new CountDownLatch(1);
        AtomicReference<Liveness.Stopped> stop = new AtomicReference<>();
        Runnable closeAll = () -> {
            platform.close();
            if (broker != null) {
                broker.close();
            }
        };
        Thread hook = new Thread(() -> {
            log.info("Stopping {}.", selected);
            closeAll.run();
            ended.countDown();
        }, "freshet-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // The listener runs on the stopping stage's own thread, which closing would wait for: hand it over.
        platform.onFirstStop(s -> {
            stop.set(s);
            ended.countDown();
        });
        log.info("Running {} against {}. Stop with Ctrl-C.", selected, props.get(CommonConfig.BOOTSTRAP_SERVERS_CONFIG));
        ended.await();
        if (stop.get() == null) {
            return 0;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // A signal came at the same moment: the hook closes everything, and the JVM exits with its code.
            ended.await();
            return 0;
        }
        log.info("Stopping {} because {}.", selected, stop.get());
        closeAll.run();
        throw new StageStoppedException(stop.get());
    }

    private Set<Platform.Component> selectedComponents() {
        if (components.isEmpty()) {
            return EnumSet.allOf(Platform.Component.class);
        }
        EnumSet<Platform.Component> selected = EnumSet.noneOf(Platform.Component.class);
        components.forEach(name -> selected.add(Platform.Component.fromCliName(name)));
        return selected;
    }

    /**
     * Creates the loop's missing topics, with the partitions and replicas the launcher's keys ask for, once the
     * cluster has answered within {@code clusterTimeout}.
     *
     * @throws LauncherException when the cluster does not answer in time or a topic cannot be created
     */
    static void ensureTopics(Map<String, Object> props, AbstractConfig launcherConfig, Duration clusterTimeout) {
        int partitions = launcherConfig.getInt(TOPICS_PARTITIONS_CONFIG);
        int replicas = launcherConfig.getInt(TOPICS_REPLICATION_FACTOR_CONFIG);
        String bootstrap = String.valueOf(props.get(CommonConfig.BOOTSTRAP_SERVERS_CONFIG));
        long timeoutMs = clusterTimeout.toMillis();
        try (Admin admin = openAdmin(props, bootstrap)) {
            awaitCluster(admin, props, bootstrap, timeoutMs);
            TopicLayout.of(props).ensureTopics(admin, partitions > 0 ? Optional.of(partitions) : Optional.empty(),
                replicas > 0 ? Optional.of((short) replicas) : Optional.empty());
        } catch (KafkaException e) {
            throw new LauncherException(KafkaAccessException.find(e, KafkaClients.from(props).identity(),
                "creating the loop's topics").map(KafkaException::getMessage).orElse(e.getMessage()), e);
        }
    }

    private static Admin openAdmin(Map<String, Object> props, String bootstrap) {
        try {
            return KafkaClients.from(props).admin();
        } catch (KafkaException e) {
            // Typically no address of bootstrap.servers resolves; the cause says which.
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new LauncherException("cannot reach the Kafka cluster at " + bootstrap + ": " + cause.getMessage()
                + "; check " + CommonConfig.BOOTSTRAP_SERVERS_CONFIG + " (--bootstrap-servers)", e);
        }
    }

    // Without this, an unreachable cluster surfaces minutes later, deep inside a component's first client call.
    private static void awaitCluster(Admin admin, Map<String, Object> props, String bootstrap, long timeoutMs) {
        String unreachable = "cannot reach the Kafka cluster at " + bootstrap + " within " + timeoutMs / 1000
            + " s; check " + CommonConfig.BOOTSTRAP_SERVERS_CONFIG + " (--bootstrap-servers) and that the cluster "
            + "is up (freshet run --cluster-timeout sets the wait)";
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs)).clusterId()
                .get(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException(unreachable, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new LauncherException(unreachable, e.getCause());
            }
            KafkaAccessException.find(e.getCause(), KafkaClients.from(props).identity(), null).ifPresent(refusal -> {
                throw new LauncherException(refusal.getMessage(), refusal);
            });
            throw new LauncherException("The Kafka cluster at " + bootstrap + " refused to describe itself: "
                + e.getCause().getMessage() + "; check the kafka.* security settings", e.getCause());
        } catch (TimeoutException e) {
            throw new LauncherException(unreachable, e);
        }
    }
}
