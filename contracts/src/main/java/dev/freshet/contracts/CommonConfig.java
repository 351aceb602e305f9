package dev.freshet.contracts;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration keys every component shares, defined once: each module's config adds them to its
 * {@link ConfigDef} with {@link #defineShared}, so that they have one name, one validator and one text in
 * {@code freshet config docs}.
 */
public final class CommonConfig {
    /** The Kafka cluster. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
    private static final String BOOTSTRAP_SERVERS_DOC = "Kafka cluster (host:port[,host:port...]) that every "
        + "component and CLI verb reads and writes the loop's topics on. `freshet run` and `freshet demo` start a "
        + "single-node broker in their own process when it is not set. Client settings such as SASL and SSL are "
        + "passed with the kafka. prefix.";

    /** Prefix of every topic name, consumer group, application id and transactional id. */
    public static final String TOPICS_PREFIX_CONFIG = "topics.prefix";
    public static final String TOPICS_PREFIX_DEFAULT = "freshet.";
    private static final String TOPICS_PREFIX_DOC = "Prepended to every topic name (events, labels, features, "
        + "predictions, training-examples, models, model-schemas, commands, ...) and to every consumer group, "
        + "application id and transactional id; one prefix is one loop, so several loops can share a cluster.";

    private CommonConfig() {
    }

    /**
     * Adds the shared keys to a component's definition. A component cannot run without a cluster, so there
     * {@code bootstrap.servers} is required; the launcher, which can start one, defines it with an empty default.
     */
    public static ConfigDef defineShared(ConfigDef def, boolean bootstrapRequired) {
        if (bootstrapRequired) {
            def.define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                Importance.HIGH, BOOTSTRAP_SERVERS_DOC);
        } else {
            def.define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, "", Importance.HIGH, BOOTSTRAP_SERVERS_DOC);
        }
        return def.define(TOPICS_PREFIX_CONFIG, Type.STRING, TOPICS_PREFIX_DEFAULT, CommonConfig::validatePrefix,
            Importance.MEDIUM, TOPICS_PREFIX_DOC);
    }

    private static void validatePrefix(String name, Object value) {
        if (value == null || !value.toString().matches("[A-Za-z0-9._\\-]*")) {
            throw new ConfigException(name, value, "a topic name prefix may hold only letters, digits, '.', '_' and '-'");
        }
    }
}
