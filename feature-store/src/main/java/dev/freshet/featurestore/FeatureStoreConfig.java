package dev.freshet.featurestore;

import java.util.Map;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.ConfigKeys;
import dev.freshet.contracts.ConfigValues;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** The feature store's configuration. Immutable; construction fails on a missing or invalid key. */
public final class FeatureStoreConfig extends AbstractConfig {
    /** Shared key ({@link CommonConfig}): the Kafka cluster. Required. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = CommonConfig.BOOTSTRAP_SERVERS_CONFIG;

    /** Shared key ({@link CommonConfig}): the prefix of every topic name. */
    public static final String TOPICS_PREFIX_CONFIG = CommonConfig.TOPICS_PREFIX_CONFIG;
    public static final String TOPICS_PREFIX_DEFAULT = CommonConfig.TOPICS_PREFIX_DEFAULT;

    public static final String VIEW_FILE_CONFIG = "featurestore.view.file";
    private static final String VIEW_FILE_DOC = "A YAML file of feature views (one view, a views: list, or several "
        + "YAML documents) applied to the registry (<prefix>feature-views) at startup, like freshet features apply: "
        + "views whose definition changed get a new version. A bad file is refused at startup with each field path "
        + "and reason. Empty: run the views the registry holds. Without the registry topic, the file's views run on "
        + "this instance alone.";

    public static final String GRPC_PORT_CONFIG = "featurestore.grpc.port";
    public static final String GRPC_BIND_ADDRESS_CONFIG = "featurestore.grpc.bind.address";
    public static final int GRPC_PORT_DEFAULT = -1;
    private static final String GRPC_PORT_DOC = "TCP port of the gRPC FeatureStoreService (ApplyFeatureViews, "
        + "ListFeatureViews, DescribeFeatureView, GetOnlineFeatures); -1 (the default) disables it, 0 picks any free "
        + "port (read it back with FeatureStore.grpcPort()).";

    // The FeatureStoreService's security: the house layout of GrpcSecurityKeys.of("featurestore", ...), which the
    // server reads; ApplyFeatureViews always needs one of these credentials.

    public static final String TLS_CERT_FILE_CONFIG = "featurestore.tls.cert.file";
    private static final String TLS_CERT_FILE_DOC = "PEM file with the FeatureStoreService's certificate chain (its "
        + "own certificate first). Set with featurestore.tls.key.file to serve gRPC over TLS; empty (the default) "
        + "serves plaintext.";

    public static final String TLS_KEY_FILE_CONFIG = "featurestore.tls.key.file";
    private static final String TLS_KEY_FILE_DOC = "PEM file with the FeatureStoreService's private key, unencrypted "
        + "PKCS#8 ('BEGIN PRIVATE KEY'; convert others with 'openssl pkcs8 -topk8 -nocrypt'). Required with "
        + "featurestore.tls.cert.file.";

    public static final String TLS_CLIENT_CA_FILE_CONFIG = "featurestore.tls.client.ca.file";
    private static final String TLS_CLIENT_CA_FILE_DOC = "PEM file with the CA certificates that sign client "
        + "certificates (mutual TLS). Empty (the default): clients are not asked for a certificate. Needs "
        + "featurestore.tls.cert.file.";

    public static final String TLS_CLIENT_AUTH_CONFIG = "featurestore.tls.client.auth";
    public static final String TLS_CLIENT_AUTH_DEFAULT = "optional";
    private static final String TLS_CLIENT_AUTH_DOC = "With featurestore.tls.client.ca.file set: 'optional' asks "
        + "every client for a certificate signed by that CA but lets calls through without one (ApplyFeatureViews "
        + "then needs a token, or a certificate whose subject is in featurestore.admin.allowed.subjects); 'require' "
        + "refuses every call without such a certificate with UNAUTHENTICATED (health and reflection stay open for "
        + "probes); 'none' never asks.";

    public static final String ADMIN_TOKEN_CONFIG = "featurestore.admin.token";
    private static final String ADMIN_TOKEN_DOC = "Bearer token that ApplyFeatureViews (and, with "
        + "featurestore.read.auth=authenticated, every read) must present; views applied with it are recorded as "
        + "applied by 'admin'. Empty (the default), with no featurestore.admin.token.file and no "
        + "featurestore.admin.allowed.subjects, means ApplyFeatureViews is refused with PERMISSION_DENIED. Prefer "
        + "the token file: a -D value shows in ps.";

    public static final String ADMIN_TOKEN_FILE_CONFIG = "featurestore.admin.token.file";
    private static final String ADMIN_TOKEN_FILE_DOC = "File of tokens, one '<identity>:<token>' per line ('#' "
        + "starts a comment); views applied with a token are recorded as applied by its identity. Read at start. "
        + "Empty (the default) means none.";

    public static final String ADMIN_ALLOWED_SUBJECTS_CONFIG = "featurestore.admin.allowed.subjects";
    private static final String ADMIN_ALLOWED_SUBJECTS_DOC = "Subjects of client certificates (distinguished names, "
        + "e.g. 'CN=alice,OU=ops,O=Example'; several separated by ';') whose holders may apply views (and read, with "
        + "featurestore.read.auth=authenticated) without a token; views are recorded as applied by the subject. "
        + "Needs featurestore.tls.client.ca.file. Empty (the default): none.";

    public static final String READ_AUTH_CONFIG = "featurestore.read.auth";
    public static final String READ_AUTH_DEFAULT = "open";
    private static final String READ_AUTH_DOC = "Who may call ListFeatureViews, DescribeFeatureView and "
        + "GetOnlineFeatures: 'open' (the default) any caller that reaches the port, which by default listens on "
        + "this machine only (featurestore.grpc.bind.address); 'authenticated' only callers with the credentials "
        + "ApplyFeatureViews takes (a token or an allowed client certificate), so one must be configured. "
        + "GetOnlineFeatures hands out any entity's features: open the port beyond this machine only with "
        + "'authenticated' or behind a network boundary.";

    public static final String STATE_DIR_CONFIG = "featurestore.state.dir";
    private static final String STATE_DIR_DOC = "Directory for the RocksDB state stores. Keep it across restarts "
        + "to avoid restoring state from the changelog topics. Empty: a fresh temporary directory, removed on close.";

    public static final String LABEL_WAIT_MS_CONFIG = "featurestore.label.wait.ms";
    public static final long LABEL_WAIT_MS_DEFAULT = 600_000L;
    private static final String LABEL_WAIT_MS_DOC = "How long the label join keeps a prediction waiting for its "
        + "label, or a label waiting for its prediction. A prediction still unlabelled then is counted as expired; "
        + "a label still unmatched is dead-lettered as UNMATCHED_LABEL. Also how long a label by entity and event time "
        + "waits for the entity's features to reach its time (then LABEL_BEFORE_FEATURES). "
        + "Measured in record time (the prediction-log "
        + "and label timestamps the join has read), not on the wall clock: an outage of the feature store expires "
        + "nothing, and while no records come nothing expires.";

    public static final String CLOSE_TIMEOUT_MS_CONFIG = "featurestore.close.timeout.ms";
    public static final long CLOSE_TIMEOUT_MS_DEFAULT = 30_000L;
    private static final String CLOSE_TIMEOUT_MS_DOC = "How long close() waits for Kafka Streams to commit and "
        + "stop before giving up.";

    public static final String STREAM_THREADS_CONFIG = "featurestore.stream.threads";
    public static final int STREAM_THREADS_DEFAULT = 1;
    private static final String STREAM_THREADS_DOC = "Kafka Streams threads in this instance; each processes "
        + "whole partitions, so more than the partition count is wasted.";

    public static final String COMMIT_INTERVAL_MS_CONFIG = "featurestore.commit.interval.ms";
    public static final long COMMIT_INTERVAL_MS_DEFAULT = 100L;
    private static final String COMMIT_INTERVAL_MS_DOC = "How often the feature store commits its exactly-once "
        + "transaction. Feature vectors, dead letters and training examples become visible to read_committed "
        + "readers (serving's replica, the trainer) only at a commit, so this bounds their freshness; a longer "
        + "interval writes each busy entity's state to the changelog less often and raises throughput.";

    public static final String ENTITY_TTL_MS_CONFIG = "featurestore.entity.ttl.ms";
    public static final long ENTITY_TTL_MS_DEFAULT = 0L;
    private static final String ENTITY_TTL_MS_DOC = "Entities with no event for this long in event time (their newest "
        + "event this much older than the newest event of their partition) are removed from the store and get a "
        + "tombstone in the features topic, so serving forgets them too. Event time, so a replay expires what the live "
        + "stream did; a stream that stops expires nothing until events come again. 0 (the default) keeps entities "
        + "forever.";

    public static final String FEATURE_HISTORY_MS_CONFIG = "featurestore.feature.history.ms";
    public static final long FEATURE_HISTORY_MS_DEFAULT = 0L;
    private static final String FEATURE_HISTORY_MS_DOC = "How far back in event time each entity's feature vectors "
        + "are kept (per view, behind its newest one), so that a label naming the entity and an event time "
        + "({\"entity_id\": ..., \"event_time\": ..., \"label\": ...}, no request id) joins the features as they "
        + "were at that time. A label older than the history reaches is dead-lettered as UNMATCHED_LABEL. 0 (the "
        + "default) keeps no history: the label join then does not read the features topic, and such labels are "
        + "dead-lettered.";

    // Bounds on what one record may carry (issue 13): a record beyond them is dead-lettered, never folded in.

    public static final String EVENT_TIME_MAX_FUTURE_MS_CONFIG = "featurestore.event.time.max.future.ms";
    public static final long EVENT_TIME_MAX_FUTURE_MS_DEFAULT = 86_400_000L;
    private static final String EVENT_TIME_MAX_FUTURE_MS_DOC = "How far ahead of this instance's wall clock an "
        + "event time may be. A later event is dead-lettered as EVENT_TIME_OUT_OF_RANGE and touches no entity "
        + "state, window or expiry: one event a century ahead would otherwise make every later real event of its "
        + "entity late and, with featurestore.entity.ttl.ms, expire every other entity of its partition. The label "
        + "join's clock ignores record timestamps beyond it for the same reason. The default, a day, covers clock "
        + "skew and time zones mistaken for UTC. At most 100 years, which keeps every accepted event time far from "
        + "overflowing the window arithmetic and exact as a double (below 2^53 ms).";
    /** 100 years. */
    private static final long EVENT_TIME_MAX_FUTURE_MS_MAX = 100L * 365 * 24 * 3_600_000;

    public static final String EVENT_TIME_MIN_MS_CONFIG = "featurestore.event.time.min.ms";
    public static final long EVENT_TIME_MIN_MS_DEFAULT = 1L;
    /** 2^53 ms back, as far as the future bound reaches ahead: every time stays exact in a double and far from overflow. */
    private static final long EVENT_TIME_MIN_MS_LOWEST = -(1L << 53);
    private static final String EVENT_TIME_MIN_MS_DOC = "The earliest event time accepted, in epoch milliseconds; "
        + "an earlier event is dead-lettered as EVENT_TIME_OUT_OF_RANGE. The default, 1, refuses 0 (what a missing or "
        + "unset time usually becomes) and negative times. History from before 1970 has negative times: lower it to "
        + "replay such data, e.g. -631152000000 for 1950-01-01. Raise it (e.g. to 946684800000, 2000-01-01) to also "
        + "catch epoch seconds sent as milliseconds, which read as January 1970.";

    public static final String ENTITY_ID_MAX_CHARS_CONFIG = "featurestore.entity.id.max.chars";
    public static final int ENTITY_ID_MAX_CHARS_DEFAULT = 256;
    private static final String ENTITY_ID_MAX_CHARS_DOC = "The longest entity id accepted, in characters; an event "
        + "with a longer one is dead-lettered as VALUE_TOO_LONG. The id becomes a state-store key and a features-topic "
        + "key, so it must stay small.";

    public static final String STRING_VALUE_MAX_CHARS_CONFIG = "featurestore.string.value.max.chars";
    public static final int STRING_VALUE_MAX_CHARS_DEFAULT = 1024;
    private static final String STRING_VALUE_MAX_CHARS_DOC = "The longest string field value accepted, in "
        + "characters; an event with a longer one is dead-lettered as VALUE_TOO_LONG naming the field. A string "
        + "becomes part of a one-hot feature name (<field>=<value>), which the model keeps.";

    public static final String CATEGORY_MAX_VALUES_CONFIG = "featurestore.category.max.values";
    public static final int CATEGORY_MAX_VALUES_DEFAULT = 1000;
    private static final String CATEGORY_MAX_VALUES_DOC = "How many distinct values each string field (and the "
        + "label feature) may one-hot encode per feature-store task (one partition of the entities). Values seen "
        + "after that many others become the overflow feature <field>=__other__, so the feature space and the model "
        + "stay bounded. The vocabulary is kept in a state store, so it survives restarts; it is per partition, so "
        + "the overflow set depends on each partition's arrival order (see the README).";

    // Record size bounds (issue 13).
    public static final String RECORD_MAX_BYTES_CONFIG = "featurestore.record.max.bytes";
    public static final int RECORD_MAX_BYTES_DEFAULT = 1024 * 1024;
    private static final String RECORD_MAX_BYTES_DOC = "The largest record the feature store reads or writes, in "
        + "bytes, framing included: a larger event is dead-lettered as RECORD_TOO_LARGE (with a prefix, its length and "
        + "SHA-256) before it is parsed, and a feature vector or training example that would be larger is replaced by "
        + "such a dead letter, and an event that would grow its entity's stored state past it is dead-lettered as "
        + "ENTITY_STATE_FULL, so that no producer refuses a record (under exactly-once a refused record stops the "
        + "stage). The one key to raise the limits together: the feature store gives its producers' "
        + "max.request.size, its consumers' max.partition.fetch.bytes and its internal (repartition, changelog) "
        + "topics' max.message.bytes twice this plus 64 KiB, unless kafka.producer.max.request.size and the like are "
        + "set. The events, labels, predictions, features, training-examples and dead-letter topics (their "
        + "max.message.bytes, or the broker's message.max.bytes) must take records of this size; the default, 1 MiB, "
        + "fits the broker's default.";

    public static final String DEADLETTER_RAW_MAX_BYTES_CONFIG = "featurestore.deadletter.raw.max.bytes";
    public static final int DEADLETTER_RAW_MAX_BYTES_DEFAULT = 16 * 1024;
    private static final String DEADLETTER_RAW_MAX_BYTES_DOC = "How much of a dead-lettered record's value its dead "
        + "letter keeps, in bytes (raw_value); raw_length and raw_sha256 always describe the whole value, so a dead "
        + "letter always fits on its topic however large the record was.";

    private static final ConfigDef CONFIG_DEF = CommonConfig.defineBindAddress(CommonConfig.defineShared(new ConfigDef(),
            true), GRPC_BIND_ADDRESS_CONFIG, "the gRPC FeatureStoreService (featurestore.grpc.port)")
        .define(VIEW_FILE_CONFIG, Type.STRING, "", Importance.HIGH, VIEW_FILE_DOC)
        .define(GRPC_PORT_CONFIG, Type.INT, GRPC_PORT_DEFAULT, ConfigDef.Range.between(-1, 65535),
            Importance.MEDIUM, GRPC_PORT_DOC)
        .define(TLS_CERT_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, TLS_CERT_FILE_DOC)
        .define(TLS_KEY_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, TLS_KEY_FILE_DOC)
        .define(TLS_CLIENT_CA_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, TLS_CLIENT_CA_FILE_DOC)
        .define(TLS_CLIENT_AUTH_CONFIG, Type.STRING, TLS_CLIENT_AUTH_DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("none", "optional", "require"), Importance.MEDIUM,
            TLS_CLIENT_AUTH_DOC)
        .define(ADMIN_TOKEN_CONFIG, Type.PASSWORD, "", Importance.MEDIUM, ADMIN_TOKEN_DOC)
        .define(ADMIN_TOKEN_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, ADMIN_TOKEN_FILE_DOC)
        .define(ADMIN_ALLOWED_SUBJECTS_CONFIG, Type.STRING, "", Importance.MEDIUM, ADMIN_ALLOWED_SUBJECTS_DOC)
        .define(READ_AUTH_CONFIG, Type.STRING, READ_AUTH_DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("open", "authenticated"), Importance.MEDIUM, READ_AUTH_DOC)
        .define(STATE_DIR_CONFIG, Type.STRING, "", Importance.MEDIUM, STATE_DIR_DOC)
        .define(LABEL_WAIT_MS_CONFIG, Type.LONG, LABEL_WAIT_MS_DEFAULT, ConfigDef.Range.atLeast(1),
            Importance.MEDIUM, LABEL_WAIT_MS_DOC)
        .define(CLOSE_TIMEOUT_MS_CONFIG, Type.LONG, CLOSE_TIMEOUT_MS_DEFAULT, ConfigDef.Range.atLeast(0),
            Importance.LOW, CLOSE_TIMEOUT_MS_DOC)
        .define(STREAM_THREADS_CONFIG, Type.INT, STREAM_THREADS_DEFAULT, ConfigDef.Range.between(1, 64),
            Importance.LOW, STREAM_THREADS_DOC)
        .define(COMMIT_INTERVAL_MS_CONFIG, Type.LONG, COMMIT_INTERVAL_MS_DEFAULT, ConfigDef.Range.between(1, 60_000),
            Importance.LOW, COMMIT_INTERVAL_MS_DOC)
        .define(ENTITY_TTL_MS_CONFIG, Type.LONG, ENTITY_TTL_MS_DEFAULT, ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, ENTITY_TTL_MS_DOC)
        .define(FEATURE_HISTORY_MS_CONFIG, Type.LONG, FEATURE_HISTORY_MS_DEFAULT, ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, FEATURE_HISTORY_MS_DOC)
        .define(EVENT_TIME_MAX_FUTURE_MS_CONFIG, Type.LONG, EVENT_TIME_MAX_FUTURE_MS_DEFAULT,
            ConfigDef.Range.between(0, EVENT_TIME_MAX_FUTURE_MS_MAX), Importance.MEDIUM, EVENT_TIME_MAX_FUTURE_MS_DOC)
        .define(EVENT_TIME_MIN_MS_CONFIG, Type.LONG, EVENT_TIME_MIN_MS_DEFAULT,
            ConfigDef.Range.atLeast(EVENT_TIME_MIN_MS_LOWEST),
            Importance.MEDIUM, EVENT_TIME_MIN_MS_DOC)
        .define(ENTITY_ID_MAX_CHARS_CONFIG, Type.INT, ENTITY_ID_MAX_CHARS_DEFAULT, ConfigDef.Range.atLeast(1),
            Importance.LOW, ENTITY_ID_MAX_CHARS_DOC)
        .define(STRING_VALUE_MAX_CHARS_CONFIG, Type.INT, STRING_VALUE_MAX_CHARS_DEFAULT, ConfigDef.Range.atLeast(1),
            Importance.LOW, STRING_VALUE_MAX_CHARS_DOC)
        .define(CATEGORY_MAX_VALUES_CONFIG, Type.INT, CATEGORY_MAX_VALUES_DEFAULT, ConfigDef.Range.atLeast(1),
            Importance.LOW, CATEGORY_MAX_VALUES_DOC)
        .define(RECORD_MAX_BYTES_CONFIG, Type.INT, RECORD_MAX_BYTES_DEFAULT,
            ConfigDef.Range.between(64 * 1024, 512 * 1024 * 1024), Importance.MEDIUM, RECORD_MAX_BYTES_DOC)
        .define(DEADLETTER_RAW_MAX_BYTES_CONFIG, Type.INT, DEADLETTER_RAW_MAX_BYTES_DEFAULT,
            ConfigDef.Range.between(0, 1024 * 1024), Importance.LOW, DEADLETTER_RAW_MAX_BYTES_DOC);

    /**
     * @param props the settings; keys of other components are ignored, an unknown featurestore.* key or kafka.*
     *     setting is refused
     * @throws ConfigException naming the key, the value given and what is accepted
     */
    public FeatureStoreConfig(Map<String, ?> props) {
        super(CONFIG_DEF, ConfigValues.resolve(props), false);
        ConfigKeys.requireKnownIn(props, CONFIG_DEF, "featurestore.");
    }

    /** Every key, typed, defaulted and documented. The returned definition is a copy. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG_DEF);
    }
}
