package dev.freshet.contracts;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
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

    /**
     * Where every listener binds unless its own {@code *.bind.address} key says otherwise. Loopback by default, so
     * that a fresh install exposes nothing to the network until the operator opens it.
     */
    public static final String BIND_ADDRESS_CONFIG = "bind.address";
    public static final String BIND_ADDRESS_DEFAULT = "127.0.0.1";
    private static final String BIND_ADDRESS_DOC = "Interface every listener (serving's gRPC and metrics, the "
        + "feature store's gRPC, the monitor's HTTP) binds to unless its own *.bind.address key is set: an IP "
        + "address or host name; 0.0.0.0 (or ::) for all interfaces. The default, 127.0.0.1, accepts only callers on "
        + "this machine; open it (bind.address=0.0.0.0) behind the network boundary the README's threat model "
        + "describes.";

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
                Importance.MEDIUM, TOPICS_PREFIX_DOC)
            .define(BIND_ADDRESS_CONFIG, Type.STRING, BIND_ADDRESS_DEFAULT, CommonConfig::validateAddress,
                Importance.HIGH, BIND_ADDRESS_DOC);
    }

    /**
     * Defines one listener's own bind-address key, whose empty default follows {@link #BIND_ADDRESS_CONFIG}.
     *
     * @param listener how the doc names the listener, e.g. {@code the gRPC Predict and admin service}
     */
    public static ConfigDef defineBindAddress(ConfigDef def, String key, String listener) {
        return def.define(key, Type.STRING, "", CommonConfig::validateAddress, Importance.MEDIUM,
            "Interface " + listener + " binds to (an IP address or host name; 0.0.0.0 for all). Empty (the default) "
                + "follows " + BIND_ADDRESS_CONFIG + " (default " + BIND_ADDRESS_DEFAULT + ", this machine only).");
    }

    /**
     * The address a listener binds to: its own key's value when set, else {@link #BIND_ADDRESS_CONFIG}'s.
     *
     * @param ownKey the listener's key, defined with {@link #defineBindAddress}
     */
    public static String bindAddress(AbstractConfig config, String ownKey) {
        String own = config.getString(ownKey).strip();
        String key = own.isEmpty() ? BIND_ADDRESS_CONFIG : ownKey;
        String address = own.isEmpty() ? config.getString(BIND_ADDRESS_CONFIG).strip() : own;
        try {
            // Resolved here, where the key is known: a listener given a name that does not resolve would otherwise
            // fail later with the bare name and no key.
            InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new ConfigException(key, address, "the address does not resolve on this machine"
                + (key.equals(ownKey) ? "" : " (" + ownKey + " is empty, so " + BIND_ADDRESS_CONFIG + " applies)")
                + "; give an IP address of this machine, 127.0.0.1 for this machine only, or 0.0.0.0 for all "
                + "interfaces");
        }
        return address;
    }

    /**
     * The keys that set a listener's address, for the error when it cannot be bound: {@code ownKey}, or, when it
     * is empty, {@code bind.address (ownKey is empty)}.
     */
    public static String bindAddressKeys(AbstractConfig config, String ownKey) {
        return config.getString(ownKey).isBlank() ? BIND_ADDRESS_CONFIG + " (" + ownKey + " is empty)" : ownKey;
    }

    private static void validateAddress(String name, Object value) {
        String address = value == null ? "" : value.toString().strip();
        if (!address.matches("[A-Za-z0-9.:\\-\\[\\]%_]*")) {
            throw new ConfigException(name, value, "a bind address is an IP address or host name, such as 127.0.0.1, "
                + "0.0.0.0 or ::");
        }
    }

    private static void validatePrefix(String name, Object value) {
        if (value == null || !value.toString().matches("[A-Za-z0-9._\\-]*")) {
            throw new ConfigException(name, value, "a topic name prefix may hold only letters, digits, '.', '_' and '-'");
        }
    }
}
