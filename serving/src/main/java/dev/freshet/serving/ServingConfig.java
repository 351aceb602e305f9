package dev.freshet.serving;

import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Configuration of the scoring server. Every key is typed, validated, defaulted and documented here;
 * constructing an instance with an invalid value throws {@link org.apache.kafka.common.config.ConfigException}
 * naming the key, the value and what is accepted.
 */
public final class ServingConfig extends AbstractConfig {
    /** Shared key: the Kafka cluster. Required. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    private static final String BOOTSTRAP_SERVERS_DOC =
        "Kafka cluster to read features, model versions and commands from, and to write the prediction log to.";

    /** Shared key: prefix of every topic name and client id. */
    public static final String TOPICS_PREFIX_CONFIG = "topics.prefix";
    public static final String TOPICS_PREFIX_DEFAULT = "freshet.";
    private static final String TOPICS_PREFIX_DOC =
        "Prepended to every topic name (features, models, commands, predictions) and to client ids.";

    public static final String PORT_CONFIG = "serving.port";
    public static final int PORT_DEFAULT = 50051;
    private static final String PORT_DOC =
        "TCP port the gRPC Predict service listens on; 0 picks any free port (read it back with ScoringServer.port()).";

    public static final String MODEL_NAME_CONFIG = "serving.model.name";
    public static final String MODEL_NAME_DEFAULT = "default";
    private static final String MODEL_NAME_DOC =
        "Name of the model to serve; the server serves the newest version of it that no rollback has barred.";

    public static final String STATE_DIR_CONFIG = "serving.state.dir";
    private static final String STATE_DIR_DOC =
        "Directory for the local RocksDB replica of the features topic and of the model registry. It is rebuilt "
        + "from the topics at every start. Empty (the default) means a fresh temporary directory, deleted on close.";

    public static final String SHUTDOWN_GRACE_MS_CONFIG = "serving.shutdown.grace.ms";
    public static final long SHUTDOWN_GRACE_MS_DEFAULT = 5000L;
    private static final String SHUTDOWN_GRACE_MS_DOC =
        "On close, how long in-flight Predict calls may take to finish before they are cancelled.";

    private static final ConfigDef CONFIG_DEF = new ConfigDef()
        .define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(), Importance.HIGH, BOOTSTRAP_SERVERS_DOC)
        .define(TOPICS_PREFIX_CONFIG, Type.STRING, TOPICS_PREFIX_DEFAULT, Importance.MEDIUM, TOPICS_PREFIX_DOC)
        .define(PORT_CONFIG, Type.INT, PORT_DEFAULT, Range.between(0, 65535), Importance.HIGH, PORT_DOC)
        .define(MODEL_NAME_CONFIG, Type.STRING, MODEL_NAME_DEFAULT, new ConfigDef.NonEmptyStringWithoutControlChars(),
            Importance.HIGH, MODEL_NAME_DOC)
        .define(STATE_DIR_CONFIG, Type.STRING, "", Importance.MEDIUM, STATE_DIR_DOC)
        .define(SHUTDOWN_GRACE_MS_CONFIG, Type.LONG, SHUTDOWN_GRACE_MS_DEFAULT, Range.atLeast(0),
            Importance.LOW, SHUTDOWN_GRACE_MS_DOC);

    /**
     * Parses and validates {@code props}.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or has an invalid value
     */
    public ServingConfig(Map<String, ?> props) {
        super(CONFIG_DEF, props);
    }

    /** The definition of every key, for documentation ({@code freshet config docs}). */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG_DEF);
    }

    /** The topic name for {@code suffix} under this config's prefix, e.g. {@code freshet.features}. */
    public String topic(String suffix) {
        return getString(TOPICS_PREFIX_CONFIG) + suffix;
    }
}
