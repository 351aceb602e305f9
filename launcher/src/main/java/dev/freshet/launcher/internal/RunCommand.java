package dev.freshet.launcher.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code freshet run}: starts all components, or the ones named, against a cluster, and runs until stopped, so the
 * loop can be spread over several processes that meet through Kafka.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run all components, or the ones named, until stopped (Ctrl-C or SIGTERM).")
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    static final String TOPICS_PREFIX_CONFIG = "topics.prefix";
    static final String TOPICS_PARTITIONS_CONFIG = "topics.partitions";
    static final String TOPICS_REPLICATION_FACTOR_CONFIG = "topics.replication.factor";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
        description = "Kafka cluster to use. Without it, a single-node broker is started in this process and its address printed.")
    String bootstrapServers;

    @Option(names = "--components", split = ",", paramLabel = "NAME",
        description = "Components to run: feature-store, trainer, serving, monitor (default: all).")
    List<String> components = List.of();

    @Option(names = "--config", paramLabel = "FILE",
        description = "A properties file with configuration keys (see `freshet config docs`).")
    Path configFile;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE", description = "Set one configuration key (repeatable); wins over --config.")
    Map<String, String> overrides = new HashMap<>();

    /** The keys the launcher itself reads; each component declares its own. */
    public static ConfigDef configDef() {
        return new ConfigDef()
            .define(BOOTSTRAP_SERVERS_CONFIG, ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
                "Kafka cluster (host:port list). Empty: start a single-node broker in this process.")
            .define(TOPICS_PREFIX_CONFIG, ConfigDef.Type.STRING, "freshet.", ConfigDef.Importance.MEDIUM,
                "Prepended to every topic name and to consumer group and application ids; one prefix is one loop.")
            .define(TOPICS_PARTITIONS_CONFIG, ConfigDef.Type.INT, -1, ConfigDef.Range.between(-1, 10_000),
                ConfigDef.Importance.MEDIUM,
                "Partitions of each topic Freshet creates; -1 uses the broker's default. More partitions let more instances share the work.")
            .define(TOPICS_REPLICATION_FACTOR_CONFIG, ConfigDef.Type.INT, -1, ConfigDef.Range.between(-1, 32),
                ConfigDef.Importance.MEDIUM,
                "Replicas of each topic Freshet creates; -1 uses the broker's default.");
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Object> props = loadConfig();
        if (bootstrapServers != null) {
            props.put(BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        AbstractConfig launcherConfig = new AbstractConfig(configDef(), props, false);
        Set<Platform.Component> selected = selectedComponents();
        EmbeddedKafkaBroker broker = null;
        if (launcherConfig.getString(BOOTSTRAP_SERVERS_CONFIG).isBlank()) {
            broker = EmbeddedKafkaBroker.start();
            props.put(BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            System.out.println("Started an embedded Kafka broker at " + broker.bootstrapServers()
                + "; other processes can join with --bootstrap-servers " + broker.bootstrapServers());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Platform platform;
        try {
            ensureTopics(props, launcherConfig);
            platform = Platform.start(props, selected);
        } catch (RuntimeException e) {
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
        EmbeddedKafkaBroker startedBroker = broker;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping {}.", selected);
            platform.close();
            if (startedBroker != null) {
                startedBroker.close();
            }
            stopped.countDown();
        }, "freshet-shutdown"));
        log.info("Running {} against {}. Stop with Ctrl-C.", selected, props.get(BOOTSTRAP_SERVERS_CONFIG));
        stopped.await();
        return 0;
    }

    private Map<String, Object> loadConfig() {
        Map<String, Object> props = new HashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (InputStream in = Files.newInputStream(configFile)) {
                file.load(in);
            } catch (IOException e) {
                throw new LauncherException("Cannot read --config " + configFile + ": " + e.getMessage(), e);
            }
            file.forEach((k, v) -> props.put(k.toString(), v.toString()));
        }
        props.putAll(overrides);
        return props;
    }

    private Set<Platform.Component> selectedComponents() {
        if (components.isEmpty()) {
            return EnumSet.allOf(Platform.Component.class);
        }
        EnumSet<Platform.Component> selected = EnumSet.noneOf(Platform.Component.class);
        components.forEach(name -> selected.add(Platform.Component.fromCliName(name)));
        return selected;
    }

    static void ensureTopics(Map<String, Object> props, AbstractConfig launcherConfig) {
        TopicLayout layout = new TopicLayout(launcherConfig.getString(TOPICS_PREFIX_CONFIG),
            launcherConfig.getInt(TOPICS_PARTITIONS_CONFIG), launcherConfig.getInt(TOPICS_REPLICATION_FACTOR_CONFIG));
        try (Admin admin = Admin.create(Map.of(BOOTSTRAP_SERVERS_CONFIG, props.get(BOOTSTRAP_SERVERS_CONFIG)))) {
            layout.ensureTopics(admin);
        }
    }
}
