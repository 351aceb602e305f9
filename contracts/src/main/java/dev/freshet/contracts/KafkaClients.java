package dev.freshet.contracts;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The one factory of every Kafka client Freshet opens, so that the cluster's own settings (SASL, SSL, timeouts)
 * reach each of them, in every component and CLI verb.
 *
 * <p>Settings pass through under the prefix {@code kafka.}, as Kafka Streams passes {@code consumer.} and
 * {@code producer.} settings to its clients: {@code kafka.<setting>} reaches every client that knows the setting
 * ({@code kafka.security.protocol=SASL_SSL}, {@code kafka.sasl.jaas.config=...}); {@code kafka.consumer.<setting>},
 * {@code kafka.producer.<setting>}, {@code kafka.admin.<setting>} and {@code kafka.streams.<setting>} reach one kind
 * only. A setting no client knows is refused, naming the nearest one. Settings Freshet's guarantees rest on
 * ({@link #FORCED}) are refused too, saying which Freshet key sets them or why they are fixed. Freshet's own
 * per-client tuning (say, the prediction log's linger) is a default that a passed-through setting overrides.
 *
 * <p>Immutable; thread-safe. Clients are the caller's to close.
 */
public final class KafkaClients {
    /** The prefix of passed-through client settings. */
    public static final String PREFIX = "kafka.";
    public static final String PREFIX_DOC = "Any Kafka client setting, passed to every client Freshet opens: "
        + "kafka.security.protocol, kafka.sasl.mechanism, kafka.sasl.jaas.config, kafka.ssl.truststore.location, ... "
        + "Prefix with kafka.consumer., kafka.producer., kafka.admin. or kafka.streams. to reach one kind of client.";

    /**
     * The largest record the trainer sends (a version with its checkpoint, or a schema) and serving reads; the models
     * topics are created to take it.
     */
    public static final int MODEL_RECORD_MAX_BYTES = 64 * 1024 * 1024;

    private static final String CONFIG_PROVIDERS = "config.providers";
    private static final String CONSUMER = "consumer.";
    private static final String PRODUCER = "producer.";
    private static final String ADMIN = "admin.";
    private static final String STREAMS = "streams.";

    /** Settings a user may not pass through, with what to do instead. */
    static final Map<String, String> FORCED = Map.ofEntries(
        Map.entry(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "set bootstrap.servers (without the kafka. prefix)"),
        Map.entry(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "Freshet's record formats fix it"),
        Map.entry(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "Freshet's record formats fix it"),
        Map.entry(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "Freshet's record formats fix it"),
        Map.entry(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "Freshet's record formats fix it"),
        Map.entry(CommonClientConfigs.GROUP_ID_CONFIG, "consumer groups are named from topics.prefix"),
        Map.entry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "each component commits offsets as its guarantee needs"),
        Map.entry(ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "Freshet reads only committed records, so that an aborted transaction is never seen"),
        Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "exactly-once needs idempotent producers"),
        Map.entry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "transactional ids are named from topics.prefix"),
        Map.entry(StreamsConfig.APPLICATION_ID_CONFIG, "application ids are named from topics.prefix"),
        Map.entry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "the feature store runs exactly_once_v2"),
        Map.entry(StreamsConfig.STATE_DIR_CONFIG, "set featurestore.state.dir"),
        Map.entry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "set featurestore.stream.threads"),
        Map.entry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "set featurestore.commit.interval.ms"));

    private static final Pattern USERNAME = Pattern.compile("\\busername\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;]+))");
    // GSSAPI (Kerberos) names its principal instead.
    private static final Pattern PRINCIPAL = Pattern.compile("\\bprincipal\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;]+))");

    private static final Set<String> CONSUMER_KEYS = ConsumerConfig.configNames();
    private static final Set<String> PRODUCER_KEYS = ProducerConfig.configNames();
    private static final Set<String> ADMIN_KEYS = AdminClientConfig.configNames();
    private static final Set<String> STREAMS_KEYS = StreamsConfig.configDef().names();

    private final String bootstrapServers;
    private final Map<String, Object> common;
    private final Map<String, Object> consumer;
    private final Map<String, Object> producer;
    private final Map<String, Object> admin;
    private final Map<String, Object> streams;

    private KafkaClients(String bootstrapServers, Map<String, Object> common, Map<String, Object> consumer,
                         Map<String, Object> producer, Map<String, Object> admin, Map<String, Object> streams) {
        this.bootstrapServers = bootstrapServers;
        this.common = common;
        this.consumer = consumer;
        this.producer = producer;
        this.admin = admin;
        this.streams = streams;
    }

    /**
     * The clients of a configuration: its {@code bootstrap.servers} and every {@code kafka.} setting, with
     * {@code ${env:NAME}} and {@code ${file:/path}} values resolved ({@link ConfigValues}).
     *
     * @throws ConfigException when bootstrap.servers is missing or blank, a {@code kafka.} setting is unknown or
     *                         one Freshet fixes, or a value's variable or file is missing
     */
    public static KafkaClients from(Map<String, ?> given) {
        Map<String, Object> config = ConfigValues.resolve(given);
        Object bootstrap = config.get(CommonConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrap == null || bootstrap.toString().isBlank()) {
            throw new ConfigException(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                "the Kafka cluster is required (host:port[,host:port...])");
        }
        Map<String, Map<String, Object>> kinds = passThrough(config);
        return new KafkaClients(bootstrap.toString().trim(), kinds.get(""), kinds.get(CONSUMER), kinds.get(PRODUCER),
            kinds.get(ADMIN), kinds.get(STREAMS));
    }

    /**
     * Checks a configuration's {@code kafka.} settings without building clients (before anything is started).
     *
     * @throws ConfigException when one is unknown or one Freshet fixes
     */
    static void validatePassThrough(Map<String, ?> config) {
        passThrough(config);
    }

    /** The passed-through settings by kind of client ("" for all), prefixes removed. */
    private static Map<String, Map<String, Object>> passThrough(Map<String, ?> config) {
        Map<String, Map<String, Object>> kinds = new HashMap<>();
        for (String kind : new String[] {"", CONSUMER, PRODUCER, ADMIN, STREAMS}) {
            kinds.put(kind, new TreeMap<>());
        }
        Set<String> anyClient = new TreeSet<>(CONSUMER_KEYS);
        anyClient.addAll(PRODUCER_KEYS);
        anyClient.addAll(ADMIN_KEYS);
        anyClient.addAll(STREAMS_KEYS);
        for (Map.Entry<String, ?> entry : new TreeMap<>(config).entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String setting = key.substring(PREFIX.length());
            Object value = entry.getValue();
            if (setting.startsWith(CONSUMER)) {
                put(kinds.get(CONSUMER), key, setting.substring(CONSUMER.length()), value, CONSUMER_KEYS);
            } else if (setting.startsWith(PRODUCER)) {
                put(kinds.get(PRODUCER), key, setting.substring(PRODUCER.length()), value, PRODUCER_KEYS);
            } else if (setting.startsWith(ADMIN)) {
                put(kinds.get(ADMIN), key, setting.substring(ADMIN.length()), value, ADMIN_KEYS);
            } else if (setting.startsWith(STREAMS)) {
                put(kinds.get(STREAMS), key, setting.substring(STREAMS.length()), value, STREAMS_KEYS);
            } else {
                put(kinds.get(""), key, setting, value, anyClient);
            }
        }
        return kinds;
    }

    /** Clients of a cluster with no passed-through settings (tests, benches). */
    public static KafkaClients of(String bootstrapServers) {
        return from(Map.of(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    // Refusals leave the value out: a misspelt or misplaced setting may well hold a password or a JAAS config.
    private static void put(Map<String, Object> into, String key, String setting, Object value, Set<String> known) {
        String forced = FORCED.get(setting);
        if (forced != null) {
            throw new ConfigException("Configuration key '" + key + "' is refused: Freshet sets '" + setting
                + "' itself: " + forced);
        }
        if (!known.contains(setting) && !isConfigProviderSetting(setting)) {
            String nearest = Suggestions.nearest(setting, known).map(name -> "; did you mean '"
                + key.substring(0, key.length() - setting.length()) + name + "'?").orElse("");
            throw new ConfigException("Configuration key '" + key + "' is refused: no Kafka client has a setting '"
                + setting + "'" + nearest);
        }
        into.put(setting, value);
    }

    /**
     * A Kafka config provider's own settings ({@code config.providers.<name>.class},
     * {@code config.providers.<name>.param.<param>}) are named by the user, so no client lists them; the clients
     * read them with {@code config.providers} to resolve {@code ${name:path:key}} values.
     */
    private static boolean isConfigProviderSetting(String setting) {
        return setting.startsWith(CONFIG_PROVIDERS + ".");
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * As whom these clients connect, for messages (never with a password): e.g. {@code user 'alice'
     * (SCRAM-SHA-256 over SASL_SSL)}, or {@code no credentials (PLAINTEXT)}.
     */
    public String identity() {
        Map<String, Object> settings = new HashMap<>(common);
        settings.putAll(admin);
        return identityOf(settings);
    }

    /** {@link #identity()} of one client's settings (unprefixed: {@code security.protocol}, ...). */
    public static String identityOf(Map<?, ?> clientSettings) {
        Object protocol = clientSettings.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG);
        String security = protocol == null ? CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL : protocol.toString();
        if (!security.toUpperCase(Locale.ROOT).startsWith("SASL")) {
            return (security.equalsIgnoreCase("SSL") ? "its TLS client certificate, if any" : "no credentials")
                + " (" + security + ")";
        }
        Object mechanism = clientSettings.get(SaslConfigs.SASL_MECHANISM);
        Object jaas = clientSettings.get(SaslConfigs.SASL_JAAS_CONFIG);
        String user = jaas == null ? null : saslUser(jaas instanceof Password password ? password.value()
            : jaas.toString()).map(name -> "user '" + name + "'").orElse(null);
        if (user == null) {
            user = "the user of kafka.sasl.jaas.config";
        }
        return user + " (" + (mechanism == null ? SaslConfigs.DEFAULT_SASL_MECHANISM
            : mechanism) + " over " + security + ")";
    }

    /**
     * The user a JAAS configuration logs in as (its {@code username}, quoted or not, or for Kerberos its
     * {@code principal}), never its password; empty when it names none.
     */
    public static Optional<String> saslUser(String jaasConfig) {
        for (Pattern pattern : new Pattern[] {USERNAME, PRINCIPAL}) {
            Matcher m = pattern.matcher(jaasConfig);
            if (m.find()) {
                return Optional.of(m.group(1) != null ? m.group(1) : m.group(2));
            }
        }
        return Optional.empty();
    }

    /**
     * A reader without a consumer group, of committed records only, that never commits offsets: for followers and
     * one-shot reads that assign partitions and seek themselves.
     *
     * <p>Client ids name a client in the broker's logs and metrics; pass null to let Kafka number it, where several
     * instances may be open at once in one JVM (two clients with one id clash in JMX).
     *
     * @param tuning Freshet's defaults for this client (e.g. {@code max.poll.records}); passed-through settings win
     */
    public <K, V> KafkaConsumer<K, V> committedReader(String clientId, Map<String, ?> tuning,
                                                      Deserializer<K> keys, Deserializer<V> values) {
        Map<String, Object> props = consumerProps(clientId, tuning);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, keys, values);
    }

    /**
     * A member of consumer group {@code groupId}, of committed records only.
     *
     * @param autoCommit whether the client commits its position periodically (at-least-once readers such as the
     *                   monitor); false where offsets are committed in a transaction or by hand
     */
    public <K, V> KafkaConsumer<K, V> groupReader(String groupId, boolean autoCommit, Map<String, ?> tuning,
                                                  Deserializer<K> keys, Deserializer<V> values) {
        Map<String, Object> props = consumerProps(groupId, tuning);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, autoCommit);
        return new KafkaConsumer<>(props, keys, values);
    }

    /** An idempotent producer with {@code acks=all}. */
    public <K, V> KafkaProducer<K, V> idempotentProducer(String clientId, Map<String, ?> tuning,
                                                         Serializer<K> keys, Serializer<V> values) {
        return new KafkaProducer<>(producerProps(clientId, tuning), keys, values);
    }

    /**
     * A transactional producer; the caller calls {@code initTransactions()}.
     *
     * @param transactionalId names the writer for fencing; build it with {@link TopicLayout#clientId}
     */
    public <K, V> KafkaProducer<K, V> transactionalProducer(String transactionalId, Map<String, ?> tuning,
                                                            Serializer<K> keys, Serializer<V> values) {
        Map<String, Object> props = producerProps(transactionalId, tuning);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(props, keys, values);
    }

    /**
     * Checks that the cluster takes these clients' credentials, for a component whose first Kafka call happens on a
     * background thread: a wrong password then stops its start with one line instead of a stage later. Any other
     * failure (an unreachable cluster, a timeout) is left to the component's own handling.
     *
     * @throws KafkaAccessException when the cluster refuses the credentials
     */
    public void checkCredentials(Duration timeout) {
        try (Admin client = admin()) {
            client.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).clusterId()
                .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            KafkaAccessException.find(e.getCause(), identity(), null).ifPresent(refusal -> {
                throw refusal;
            });
        } catch (TimeoutException e) {
            // Not this check's to report.
        }
    }

    /** An admin client. */
    public Admin admin() {
        Map<String, Object> props = new HashMap<>();
        putKnown(props, common, ADMIN_KEYS);
        props.putAll(admin);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    /**
     * The properties of an exactly-once Kafka Streams application. Passed-through settings reach Streams and, through
     * its own {@code consumer.}/{@code producer.}/{@code admin.} prefixes, the clients it opens.
     *
     * @param tuning Freshet's defaults (e.g. cache size); passed-through settings win; the caller then sets the
     *               state directory, thread count and commit interval from its own keys
     */
    public Properties streamsProperties(String applicationId, Map<String, ?> tuning) {
        Properties props = new Properties();
        props.putAll(tuning);
        props.putAll(common);
        consumer.forEach((k, v) -> props.put(StreamsConfig.consumerPrefix(k), v));
        producer.forEach((k, v) -> props.put(StreamsConfig.producerPrefix(k), v));
        admin.forEach((k, v) -> props.put(StreamsConfig.adminClientPrefix(k), v));
        props.putAll(streams);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return props;
    }

    Map<String, Object> consumerProps(String clientId, Map<String, ?> tuning) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        if (clientId != null) {
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        }
        props.putAll(tuning);
        putKnown(props, common, CONSUMER_KEYS);
        props.putAll(consumer);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    Map<String, Object> producerProps(String clientId, Map<String, ?> tuning) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        if (clientId != null) {
            props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        }
        props.putAll(tuning);
        putKnown(props, common, PRODUCER_KEYS);
        props.putAll(producer);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return props;
    }

    /** Copies the common settings this kind of client knows, so that none logs "supplied but isn't a known config". */
    private static void putKnown(Map<String, Object> into, Map<String, Object> settings, Set<String> known) {
        settings.forEach((k, v) -> {
            if (known.contains(k) || isConfigProviderSetting(k)) {
                into.put(k, v);
            }
        });
    }

    @Override
    public String toString() {
        // Values are left out: they hold passwords and JAAS configurations.
        return "Kafka clients of " + bootstrapServers + " with settings " + common.keySet() + " (all), "
            + consumer.keySet() + " (consumers), " + producer.keySet() + " (producers), " + admin.keySet()
            + " (admin), " + streams.keySet() + " (streams)";
    }
}
