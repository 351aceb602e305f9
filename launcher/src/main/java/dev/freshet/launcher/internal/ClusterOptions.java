package dev.freshet.launcher.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.TopicLayout;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * The options by which every CLI verb that talks to Kafka finds the loop: the cluster, the topics prefix, and any
 * other key (the cluster's {@code kafka.} security settings above all) from {@code --config} and {@code -D}. The
 * options win over {@code -D}, which wins over the file.
 */
final class ClusterOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
        description = "Kafka cluster of the loop (bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--topics-prefix", paramLabel = "PREFIX",
        description = "The loop's topics prefix (topics.prefix; default " + CommonConfig.TOPICS_PREFIX_DEFAULT + ").")
    String topicsPrefix;

    @Option(names = "--config", paramLabel = "FILE", description = "A file of key=value lines: configuration keys "
        + "(see `freshet config docs`) and Kafka client settings such as kafka.security.protocol and kafka.sasl.*.")
    Path configFile;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE",
        description = "Set one key (repeatable); wins over --config.")
    Map<String, String> overrides = new LinkedHashMap<>();

    private Map<String, Object> loaded;
    private RuntimeException refused;

    /**
     * The verb's configuration, every key checked.
     *
     * @throws ConfigException when a key is unknown, or no cluster is given
     */
    Map<String, Object> config() {
        Map<String, Object> config = withOptions();
        Object bootstrap = config.get(CommonConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrap == null || bootstrap.toString().isBlank()) {
            throw new ConfigException("No Kafka cluster: give --bootstrap-servers HOST:PORT, or set bootstrap.servers "
                + "with -D or in --config");
        }
        return config;
    }

    /**
     * As {@link #config()}, but without requiring a cluster (commands that can start their own broker). A copy the
     * caller may change; the file is read and the keys checked once per command.
     */
    Map<String, Object> withOptions() {
        if (loaded == null && refused == null) {
            try {
                loaded = load();
            } catch (RuntimeException e) {
                // Asked again (say, to name the principal in an error), the answer stays the same, and the file is
                // not read, nor its warnings printed, a second time.
                refused = e;
            }
        }
        if (refused != null) {
            throw refused;
        }
        return new LinkedHashMap<>(loaded);
    }

    private Map<String, Object> load() {
        Map<String, String> explicit = new LinkedHashMap<>(overrides);
        if (bootstrapServers != null) {
            explicit.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        if (topicsPrefix != null) {
            explicit.put(CommonConfig.TOPICS_PREFIX_CONFIG, topicsPrefix);
        }
        return ConfigSources.load(configFile, explicit);
    }

    KafkaClients clients() {
        return KafkaClients.from(config());
    }

    TopicLayout topics() {
        return TopicLayout.of(withOptions());
    }
}
