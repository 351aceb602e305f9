package dev.freshet.launcher.internal;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
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
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run all components, or the ones named, until stopped (Ctrl-C or SIGTERM).")
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    static final String TOPICS_PARTITIONS_CONFIG = "topics.partitions";
    static final String TOPICS_REPLICATION_FACTOR_CONFIG = "topics.replication.factor";

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--components", split = ",", paramLabel = "NAME",
        description = "Components to run: feature-store, trainer, serving, monitor (default: all).")
    List<String> components = List.of();

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
        // Everything is checked before anything exists: a refused key or file leaves no broker and no topic behind.
        Platform.validate(props, selected);
        EmbeddedKafkaBroker broker = null;
        if (launcherConfig.getString(CommonConfig.BOOTSTRAP_SERVERS_CONFIG).isBlank()) {
            broker = EmbeddedKafkaBroker.start();
            props.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
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
        log.info("Running {} against {}. Stop with Ctrl-C.", selected, props.get(CommonConfig.BOOTSTRAP_SERVERS_CONFIG));
        stopped.await();
        return 0;
    }

    private Set<Platform.Component> selectedComponents() {
        if (components.isEmpty()) {
            return EnumSet.allOf(Platform.Component.class);
        }
        EnumSet<Platform.Component> selected = EnumSet.noneOf(Platform.Component.class);
        components.forEach(name -> selected.add(Platform.Component.fromCliName(name)));
        return selected;
    }

    /** Creates the loop's missing topics, with the partitions and replicas the launcher's keys ask for. */
    static void ensureTopics(Map<String, Object> props, AbstractConfig launcherConfig) {
        int partitions = launcherConfig.getInt(TOPICS_PARTITIONS_CONFIG);
        int replicas = launcherConfig.getInt(TOPICS_REPLICATION_FACTOR_CONFIG);
        try (Admin admin = KafkaClients.from(props).admin()) {
            TopicLayout.of(props).ensureTopics(admin,
                partitions > 0 ? Optional.of(partitions) : Optional.empty(),
                replicas > 0 ? Optional.of((short) replicas) : Optional.empty());
        } catch (KafkaException e) {
            throw new LauncherException(e.getMessage(), e);
        }
    }
}
