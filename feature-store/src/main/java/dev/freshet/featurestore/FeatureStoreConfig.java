package dev.freshet.featurestore;

import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** The feature store's configuration. Immutable; construction fails on a missing or invalid key. */
public final class FeatureStoreConfig extends AbstractConfig {
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    private static final String BOOTSTRAP_SERVERS_DOC = "Kafka cluster to read events from and write features to, "
        + "as host:port pairs separated by commas.";

    public static final String TOPICS_PREFIX_CONFIG = "topics.prefix";
    public static final String TOPICS_PREFIX_DEFAULT = "freshet.";
    private static final String TOPICS_PREFIX_DOC = "Prepended to every topic name and to the Kafka Streams "
        + "application id (<prefix>feature-store).";

    public static final String VIEW_FILE_CONFIG = "featurestore.view.file";
    private static final String VIEW_FILE_DOC = "Path of the YAML feature view to register: entity, event time, "
        + "pass-through fields and windowed aggregations. A bad view is refused at startup with the field and "
        + "the reason.";

    public static final String STATE_DIR_CONFIG = "featurestore.state.dir";
    private static final String STATE_DIR_DOC = "Directory for the RocksDB state stores. Keep it across restarts "
        + "to avoid restoring state from the changelog topics. Empty: a fresh temporary directory, removed on close.";

    public static final String LABEL_WAIT_MS_CONFIG = "featurestore.label.wait.ms";
    public static final long LABEL_WAIT_MS_DEFAULT = 600_000L;
    private static final String LABEL_WAIT_MS_DOC = "How long the label join keeps a prediction waiting for its "
        + "label, or a label waiting for its prediction. A prediction still unlabelled then is counted as expired; "
        + "a label still unmatched is dead-lettered as UNMATCHED_LABEL.";

    public static final String CLOSE_TIMEOUT_MS_CONFIG = "featurestore.close.timeout.ms";
    public static final long CLOSE_TIMEOUT_MS_DEFAULT = 30_000L;
    private static final String CLOSE_TIMEOUT_MS_DOC = "How long close() waits for Kafka Streams to commit and "
        + "stop before giving up.";

    public static final String STREAM_THREADS_CONFIG = "featurestore.stream.threads";
    public static final int STREAM_THREADS_DEFAULT = 1;
    private static final String STREAM_THREADS_DOC = "Kafka Streams threads in this instance; each processes "
        + "whole partitions, so more than the partition count is wasted.";

    private static final ConfigDef CONFIG_DEF = new ConfigDef()
        .define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
            Importance.HIGH, BOOTSTRAP_SERVERS_DOC)
        .define(TOPICS_PREFIX_CONFIG, Type.STRING, TOPICS_PREFIX_DEFAULT, Importance.MEDIUM, TOPICS_PREFIX_DOC)
        .define(VIEW_FILE_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
            Importance.HIGH, VIEW_FILE_DOC)
        .define(STATE_DIR_CONFIG, Type.STRING, "", Importance.MEDIUM, STATE_DIR_DOC)
        .define(LABEL_WAIT_MS_CONFIG, Type.LONG, LABEL_WAIT_MS_DEFAULT, ConfigDef.Range.atLeast(1),
            Importance.MEDIUM, LABEL_WAIT_MS_DOC)
        .define(CLOSE_TIMEOUT_MS_CONFIG, Type.LONG, CLOSE_TIMEOUT_MS_DEFAULT, ConfigDef.Range.atLeast(0),
            Importance.LOW, CLOSE_TIMEOUT_MS_DOC)
        .define(STREAM_THREADS_CONFIG, Type.INT, STREAM_THREADS_DEFAULT, ConfigDef.Range.between(1, 64),
            Importance.LOW, STREAM_THREADS_DOC);

    /**
     * @param props the settings; keys this config does not define are ignored
     * @throws ConfigException naming the key, the value given and what is accepted
     */
    public FeatureStoreConfig(Map<String, ?> props) {
        super(CONFIG_DEF, props, false);
        String prefix = getString(TOPICS_PREFIX_CONFIG);
        if (!prefix.matches("[A-Za-z0-9._\\-]*")) {
            throw new ConfigException(TOPICS_PREFIX_CONFIG, prefix,
                "a topic name prefix may hold only letters, digits, '.', '_' and '-'");
        }
    }

    /** Every key, typed, defaulted and documented. The returned definition is a copy. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG_DEF);
    }
}
