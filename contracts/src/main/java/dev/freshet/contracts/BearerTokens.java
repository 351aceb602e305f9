package dev.freshet.contracts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** The bearer tokens a server accepts and the principal each stands for. Immutable; thread-safe. */
public final class BearerTokens {
    /** The principal that the single token ({@link GrpcSecurityKeys#tokenKey()}) stands for. */
    public static final String SINGLE_TOKEN_PRINCIPAL = "admin";

    private final Map<String, String> principalByToken;

    private BearerTokens(Map<String, String> principalByToken) {
        this.principalByToken = Map.copyOf(principalByToken);
    }

    /**
     * Reads the single token (a password key) and the token file ({@code <principal>:<token>} per line, {@code #}
     * starting a comment) that {@code keys} name.
     *
     * @throws ConfigException if the file cannot be read or a line is not {@code <identity>:<token>}
     */
    public static BearerTokens from(AbstractConfig config, GrpcSecurityKeys keys) {
        return from(config, keys.tokenKey(), keys.tokenFileKey());
    }

    /**
     * Reads the single token of {@code tokenKey} (a password key, standing for {@link #SINGLE_TOKEN_PRINCIPAL}) and
     * the token file of {@code tokenFileKey} ({@code <principal>:<token>} per line, {@code #} starting a comment).
     *
     * @throws ConfigException naming {@code tokenFileKey} if the file cannot be read or a line is not
     *                         {@code <identity>:<token>}; the line's content is left out, as it holds a token
     */
    public static BearerTokens from(AbstractConfig config, String tokenKey, String tokenFileKey) {
        Map<String, String> tokens = new LinkedHashMap<>();
        Password single = config.getPassword(tokenKey);
        if (single != null && !single.value().isBlank()) {
            tokens.put(single.value().strip(), SINGLE_TOKEN_PRINCIPAL);
        }
        String file = config.getString(tokenFileKey);
        if (!file.isBlank()) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(tokenFileKey, file, "the file cannot be read (" + e.getMessage()
                    + ")");
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0 || colon == line.length() - 1) {
                    throw new ConfigException(tokenFileKey, file, String.format(
                        "line %d is not '<identity>:<token>'", i + 1));
                }
                tokens.put(line.substring(colon + 1).strip(), line.substring(0, colon).strip());
            }
        }
        return new BearerTokens(tokens);
    }

    /** These tokens, each standing for its principal; none means every token is refused. */
    public static BearerTokens of(Map<String, String> principalByToken) {
        return new BearerTokens(principalByToken);
    }

    /** Whether any token is accepted. */
    public boolean enabled() {
        return !principalByToken.isEmpty();
    }

    /**
     * The principal {@code token} stands for, or empty. Compares against every known token in constant time, so
     * the answer's timing tells nothing about how much of a guess was right.
     */
    public Optional<String> identify(String token) {
        byte[] presented = token.getBytes(StandardCharsets.UTF_8);
        String found = null;
        for (Map.Entry<String, String> known : principalByToken.entrySet()) {
            if (MessageDigest.isEqual(presented, known.getKey().getBytes(StandardCharsets.UTF_8))) {
                found = known.getValue();
            }
        }
        return Optional.ofNullable(found);
    }
}
