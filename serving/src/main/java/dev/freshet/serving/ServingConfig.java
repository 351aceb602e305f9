package dev.freshet.serving;

import java.util.Map;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.ConfigKeys;
import dev.freshet.contracts.ConfigValues;
import dev.freshet.contracts.HttpSecurity;
import dev.freshet.contracts.TopicLayout;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Configuration of the scoring server. Every key is typed, validated, defaulted and documented here;
 * constructing an instance with an invalid value throws {@link org.apache.kafka.common.config.ConfigException}
 * naming the key, the value and what is accepted.
 */
public final class ServingConfig extends AbstractConfig {
    /** Shared key ({@link CommonConfig}): the Kafka cluster. Required. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = CommonConfig.BOOTSTRAP_SERVERS_CONFIG;

    /** Shared key ({@link CommonConfig}): the prefix of every topic name. */
    public static final String TOPICS_PREFIX_CONFIG = CommonConfig.TOPICS_PREFIX_CONFIG;
    public static final String TOPICS_PREFIX_DEFAULT = CommonConfig.TOPICS_PREFIX_DEFAULT;

    public static final String PORT_CONFIG = "serving.port";
    public static final String BIND_ADDRESS_CONFIG = "serving.bind.address";
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

    public static final String BATCH_MAX_SIZE_CONFIG = "serving.batch.max.size";
    public static final int BATCH_MAX_SIZE_DEFAULT = 1000;
    private static final String BATCH_MAX_SIZE_DOC =
        "Most requests one PredictBatch call may carry; a larger batch is refused with INVALID_ARGUMENT.";

    public static final String PREDICTION_LOG_LINGER_MS_CONFIG = "serving.prediction.log.linger.ms";
    public static final int PREDICTION_LOG_LINGER_MS_DEFAULT = 100;
    private static final String PREDICTION_LOG_LINGER_MS_DOC =
        "With serving.prediction.log.durability=async, how long the prediction log gathers predictions before "
        + "sending them to the predictions topic in one request. Longer costs the brokers and this process less CPU "
        + "per prediction; predictions reach the topic (and the label join) up to this much later. Not used in "
        + "'acked' mode, where every caller waits for its record.";

    public static final String PREDICTION_LOG_DURABILITY_CONFIG = "serving.prediction.log.durability";
    public static final String PREDICTION_LOG_DURABILITY_DEFAULT = "async";
    private static final String PREDICTION_LOG_DURABILITY_DOC =
        "When an answered prediction is in the predictions topic (its label can become a training example only if "
        + "it is). 'async' (the default): the answer goes out first and a background writer sends the record within "
        + "serving.prediction.log.linger.ms; a failed write is counted (ServingStats.predictionLogFailures) and "
        + "logged, and records not yet acknowledged are lost if the process dies (3 of 7,515 on one kill -9; their "
        + "labels become UNMATCHED_LABEL). 'acked': a Predict is answered only after the broker acknowledged its "
        + "record (acks=all, idempotent producer), sent at once (serving.prediction.log.linger.ms does not apply); "
        + "a record not written within 10 s fails the call with UNAVAILABLE instead, so a kill -9 loses no answered "
        + "prediction. 'async' is the default because 'acked' costs every caller a broker round trip: in "
        + "ServingBench (bench/results/ServingBench.md, same run, 2 shared cores) it halved unary throughput "
        + "(0.48x), raised unary p50 from 0.6 to 6.5 ms and p99 3.6x at half load, and cut PredictStream "
        + "throughput to 0.18x, since a stream waits for each message's record; while the loss it prevents is "
        + "a few training examples per crash. Choose 'acked' where every answered prediction must be auditable "
        + "or trained on.";

    public static final String ADMIN_TOKEN_CONFIG = "serving.admin.token";
    private static final String ADMIN_TOKEN_DOC =
        "Bearer token that admin calls (status, pin, unpin, rollback, promote) must present; changes made with it "
        + "are recorded as issued by 'admin'. Empty (the default) and no serving.admin.token.file means admin "
        + "calls are refused with PERMISSION_DENIED.";

    public static final String ADMIN_TOKEN_FILE_CONFIG = "serving.admin.token.file";
    private static final String ADMIN_TOKEN_FILE_DOC =
        "File of admin tokens, one '<identity>:<token>' per line ('#' starts a comment); changes made with a token "
        + "are recorded as issued by its identity. Read at start. Empty (the default) means none.";

    public static final String METRICS_PORT_CONFIG = "serving.metrics.port";
    public static final String METRICS_BIND_ADDRESS_CONFIG = "serving.metrics.bind.address";
    /**
     * Prefix of the Prometheus endpoint's HTTPS and token keys ({@link HttpSecurity}): {@code tls.cert.file},
     * {@code tls.key.file}, {@code token}, {@code token.file}.
     */
    public static final String METRICS_SECURITY_PREFIX = "serving.metrics.";
    public static final int METRICS_PORT_DEFAULT = -1;
    private static final String METRICS_PORT_DOC =
        "TCP port of the Prometheus endpoint (GET /metrics); -1 (the default) disables it, 0 picks any free port "
        + "(read it back with ScoringServer.metricsPort()).";

    public static final String ROLLOUT_MODE_CONFIG = "serving.rollout.mode";
    public static final String ROLLOUT_MODE_DEFAULT = "none";
    private static final String ROLLOUT_MODE_DOC =
        "How a version newer than the champion is used. 'none': it becomes the champion as soon as it loads. "
        + "'challenger': it answers serving.challenger.share of entities (the same entities every time) until "
        + "promoted. 'shadow': it scores every request alongside the champion, which alone answers; both "
        + "predictions are logged. In 'challenger' and 'shadow' the champion changes only by promote or pin.";

    public static final String CHALLENGER_SHARE_CONFIG = "serving.challenger.share";
    public static final double CHALLENGER_SHARE_DEFAULT = 0.1;
    private static final String CHALLENGER_SHARE_DOC =
        "In serving.rollout.mode=challenger, the fraction of entities (0.0 to 1.0) the challenger answers.";

    public static final String TLS_CERT_FILE_CONFIG = "serving.tls.cert.file";
    private static final String TLS_CERT_FILE_DOC =
        "PEM file with the server's certificate chain (its own certificate first). Set with serving.tls.key.file to "
        + "serve gRPC over TLS; empty (the default) serves plaintext.";

    public static final String TLS_KEY_FILE_CONFIG = "serving.tls.key.file";
    private static final String TLS_KEY_FILE_DOC =
        "PEM file with the server's private key, unencrypted PKCS#8 ('BEGIN PRIVATE KEY'; convert others with "
        + "'openssl pkcs8 -topk8 -nocrypt'). Required with serving.tls.cert.file.";

    public static final String TLS_CLIENT_CA_FILE_CONFIG = "serving.tls.client.ca.file";
    private static final String TLS_CLIENT_CA_FILE_DOC =
        "PEM file with the CA certificates that sign client certificates (mutual TLS). Empty (the default): "
        + "clients are not asked for a certificate. Needs serving.tls.cert.file.";

    public static final String TLS_CLIENT_AUTH_CONFIG = "serving.tls.client.auth";
    public static final String TLS_CLIENT_AUTH_DEFAULT = "optional";
    private static final String TLS_CLIENT_AUTH_DOC =
        "With serving.tls.client.ca.file set: 'optional' asks every client for a certificate signed by that CA "
        + "but lets Predict calls through without one (admin calls accept one whose subject is in "
        + "serving.admin.allowed.subjects, or a token); 'require' refuses every Predict and admin call without "
        + "such a certificate with UNAUTHENTICATED (health and reflection stay open for probes); 'none' never asks.";

    public static final String ADMIN_ALLOWED_SUBJECTS_CONFIG = "serving.admin.allowed.subjects";
    private static final String ADMIN_ALLOWED_SUBJECTS_DOC =
        "Subjects of client certificates (distinguished names, e.g. 'CN=alice,OU=ops,O=Example'; several "
        + "separated by ';') whose holders may make admin calls without a token; changes are recorded as issued "
        + "by the subject. Needs serving.tls.client.ca.file. Empty (the default): none.";

    private static final ConfigDef CONFIG_DEF = defineListeners(CommonConfig.defineShared(new ConfigDef(), true))
        .define(PORT_CONFIG, Type.INT, PORT_DEFAULT, Range.between(0, 65535), Importance.HIGH, PORT_DOC)
        .define(MODEL_NAME_CONFIG, Type.STRING, MODEL_NAME_DEFAULT, new ConfigDef.NonEmptyStringWithoutControlChars(),
            Importance.HIGH, MODEL_NAME_DOC)
        .define(STATE_DIR_CONFIG, Type.STRING, "", Importance.MEDIUM, STATE_DIR_DOC)
        .define(SHUTDOWN_GRACE_MS_CONFIG, Type.LONG, SHUTDOWN_GRACE_MS_DEFAULT, Range.atLeast(0),
            Importance.LOW, SHUTDOWN_GRACE_MS_DOC)
        .define(BATCH_MAX_SIZE_CONFIG, Type.INT, BATCH_MAX_SIZE_DEFAULT, Range.between(1, 1_000_000),
            Importance.LOW, BATCH_MAX_SIZE_DOC)
        .define(PREDICTION_LOG_LINGER_MS_CONFIG, Type.INT, PREDICTION_LOG_LINGER_MS_DEFAULT,
            Range.between(0, 60_000), Importance.LOW, PREDICTION_LOG_LINGER_MS_DOC)
        .define(PREDICTION_LOG_DURABILITY_CONFIG, Type.STRING, PREDICTION_LOG_DURABILITY_DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("acked", "async"), Importance.MEDIUM,
            PREDICTION_LOG_DURABILITY_DOC)
        .define(ADMIN_TOKEN_CONFIG, Type.PASSWORD, "", Importance.MEDIUM, ADMIN_TOKEN_DOC)
        .define(ADMIN_TOKEN_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, ADMIN_TOKEN_FILE_DOC)
        .define(METRICS_PORT_CONFIG, Type.INT, METRICS_PORT_DEFAULT, Range.between(-1, 65535), Importance.MEDIUM,
            METRICS_PORT_DOC)
        .define(ROLLOUT_MODE_CONFIG, Type.STRING, ROLLOUT_MODE_DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("none", "challenger", "shadow"), Importance.MEDIUM,
            ROLLOUT_MODE_DOC)
        .define(CHALLENGER_SHARE_CONFIG, Type.DOUBLE, CHALLENGER_SHARE_DEFAULT, Range.between(0.0, 1.0),
            Importance.MEDIUM, CHALLENGER_SHARE_DOC)
        .define(TLS_CERT_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, TLS_CERT_FILE_DOC)
        .define(TLS_KEY_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, TLS_KEY_FILE_DOC)
        .define(TLS_CLIENT_CA_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, TLS_CLIENT_CA_FILE_DOC)
        .define(TLS_CLIENT_AUTH_CONFIG, Type.STRING, TLS_CLIENT_AUTH_DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("none", "optional", "require"), Importance.MEDIUM,
            TLS_CLIENT_AUTH_DOC)
        .define(ADMIN_ALLOWED_SUBJECTS_CONFIG, Type.STRING, "", Importance.MEDIUM, ADMIN_ALLOWED_SUBJECTS_DOC);

    /**
     * Parses and validates {@code props}.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or has an invalid value
     */
    public ServingConfig(Map<String, ?> props) {
        super(CONFIG_DEF, ConfigValues.resolve(props));
        ConfigKeys.requireKnownIn(props, CONFIG_DEF, "serving.");
    }

    /** The definition of every key, for documentation ({@code freshet config docs}). */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG_DEF);
    }

    /** The loop's topic and client names under this config's {@code topics.prefix}. */
    public TopicLayout topics() {
        return new TopicLayout(getString(TOPICS_PREFIX_CONFIG));
    }

    private static ConfigDef defineListeners(ConfigDef def) {
        CommonConfig.defineBindAddress(def, BIND_ADDRESS_CONFIG, "the gRPC Predict and admin service");
        CommonConfig.defineBindAddress(def, METRICS_BIND_ADDRESS_CONFIG, "the Prometheus endpoint");
        return HttpSecurity.define(def, METRICS_SECURITY_PREFIX, "the Prometheus endpoint (serving.metrics.port)");
    }
}
