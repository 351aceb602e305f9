package dev.freshet.contracts;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * How one HTTP listener ({@link MetricsEndpoint}) is reached: plaintext or TLS, open or behind bearer tokens, set
 * by four keys under one prefix ({@code monitor.http.}, {@code serving.metrics.}): {@code tls.cert.file},
 * {@code tls.key.file}, {@code token} and {@code token.file}. The token file has the format of the gRPC admin
 * token files ({@code <identity>:<token>} lines). Read and checked at start, so that a wrong file fails there,
 * naming the key. Immutable; thread-safe.
 */
public final class HttpSecurity {
    private static final HttpSecurity OPEN = new HttpSecurity("", null, BearerTokens.of(Map.of()));

    private final String prefix;
    private final SSLContext tls;
    private final BearerTokens tokens;

    private HttpSecurity(String prefix, SSLContext tls, BearerTokens tokens) {
        this.prefix = prefix;
        this.tls = tls;
        this.tokens = tokens;
    }

    /** Plaintext and open to every caller. */
    public static HttpSecurity open() {
        return OPEN;
    }

    /**
     * Defines the four keys under {@code prefix}, all empty (plaintext, open) by default.
     *
     * @param listener how the docs name the listener, e.g. {@code the live report}
     */
    public static ConfigDef define(ConfigDef def, String prefix, String listener) {
        return def.define(prefix + "tls.cert.file", Type.STRING, "", Importance.MEDIUM, "PEM file with the "
                + "certificate chain (its own certificate first) " + listener + " presents; set with " + prefix
                + "tls.key.file to serve HTTPS. Empty (the default): plain HTTP.")
            .define(prefix + "tls.key.file", Type.STRING, "", Importance.MEDIUM, "PEM file with the unencrypted "
                + "PKCS#8 private key of " + prefix + "tls.cert.file.")
            .define(prefix + "token", Type.PASSWORD, "", Importance.MEDIUM, "A bearer token every request to "
                + listener + " must carry (Authorization: Bearer <token>, or HTTP Basic with the token as password); "
                + "/-/healthy stays open. Empty with " + prefix + "token.file empty (the default): no token asked.")
            .define(prefix + "token.file", Type.STRING, "", Importance.MEDIUM, "A file of tokens accepted by "
                + listener + ", one '<identity>:<token>' per line ('#' starts a comment), read at start; the same "
                + "format as the gRPC admin token files.");
    }

    /**
     * Reads the keys under {@code prefix} from {@code config}, which must define them with {@link #define}.
     *
     * @throws ConfigException naming the key when only one TLS file is set, a file cannot be read, or a file is
     *                         not PEM, or the token file has a line that is not {@code <identity>:<token>}
     */
    public static HttpSecurity from(AbstractConfig config, String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String certKey = prefix + "tls.cert.file";
        String keyKey = prefix + "tls.key.file";
        Path cert = PemFiles.file(config, certKey);
        Path key = PemFiles.file(config, keyKey);
        if ((cert == null) != (key == null)) {
            String missing = cert == null ? certKey : keyKey;
            throw new ConfigException(missing, "", "HTTPS needs both " + certKey + " and " + keyKey + "; set "
                + missing + " too, or neither for plain HTTP");
        }
        SSLContext tls = cert == null ? null : PemFiles.serverContext(certKey, cert, keyKey, key);
        return new HttpSecurity(prefix, tls, BearerTokens.from(config, prefix + "token", prefix + "token.file"));
    }

    /** Whether the listener speaks HTTPS. */
    public boolean tls() {
        return tls != null;
    }

    /** Whether every request but {@code /-/healthy} must carry a token. */
    public boolean tokenRequired() {
        return tokens.enabled();
    }

    /** {@code http} or {@code https}. */
    public String scheme() {
        return tls() ? "https" : "http";
    }

    /** For the start-up log, e.g. {@code HTTPS, bearer token required}. */
    public String describe() {
        return (tls() ? "HTTPS" : "plain HTTP") + (tokenRequired() ? ", bearer token required" : ", no token asked");
    }

    String certKey() {
        return prefix + "tls.cert.file";
    }

    String keyKey() {
        return prefix + "tls.key.file";
    }

    SSLContext sslContext() {
        return tls;
    }

    /**
     * The identity an {@code Authorization} header's token stands for: {@code Bearer <token>}, or {@code Basic}
     * with the token as password (the user name is not checked), for scrapers and browsers that only do Basic.
     */
    Optional<String> identify(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space < 0) {
            return Optional.empty();
        }
        String scheme = value.substring(0, space).toLowerCase(Locale.ROOT);
        String credentials = value.substring(space + 1).strip();
        if (scheme.equals("bearer")) {
            return tokens.identify(credentials);
        }
        if (scheme.equals("basic")) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            int colon = decoded.indexOf(':');
            return colon < 0 ? Optional.empty() : tokens.identify(decoded.substring(colon + 1));
        }
        return Optional.empty();
    }

    /** What a refused caller reads: which header to send and which keys hold the tokens. */
    String refusal() {
        return "This endpoint requires a token: send 'Authorization: Bearer <token>' (Prometheus: authorization: "
            + "{credentials_file: FILE} in the scrape config), or HTTP Basic with the token as password. The "
            + "tokens are " + prefix + "token and those of " + prefix + "token.file; /-/healthy needs none.\n";
    }
}
