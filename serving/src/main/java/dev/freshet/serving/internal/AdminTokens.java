package dev.freshet.serving.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.freshet.serving.ServingConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** The admin bearer tokens and whom each stands for. Immutable; thread-safe. */
final class AdminTokens {
    static final String SINGLE_TOKEN_IDENTITY = "admin";

    private final Map<String, String> identityByToken;

    private AdminTokens(Map<String, String> identityByToken) {
        this.identityByToken = Map.copyOf(identityByToken);
    }

    /**
     * Reads {@code serving.admin.token} and {@code serving.admin.token.file}.
     *
     * @throws ConfigException if the file cannot be read or a line is not {@code identity:token}
     */
    static AdminTokens from(ServingConfig config) {
        Map<String, String> tokens = new LinkedHashMap<>();
        Password single = config.getPassword(ServingConfig.ADMIN_TOKEN_CONFIG);
        if (single != null && !single.value().isBlank()) {
            tokens.put(single.value().strip(), SINGLE_TOKEN_IDENTITY);
        }
        String file = config.getString(ServingConfig.ADMIN_TOKEN_FILE_CONFIG);
        if (!file.isBlank()) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(ServingConfig.ADMIN_TOKEN_FILE_CONFIG, file,
                    "the file cannot be read (" + e.getMessage() + ")");
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0 || colon == line.length() - 1) {
                    throw new ConfigException(ServingConfig.ADMIN_TOKEN_FILE_CONFIG, file, String.format(
                        "line %d is not '<identity>:<token>'", i + 1));
                }
                tokens.put(line.substring(colon + 1).strip(), line.substring(0, colon).strip());
            }
        }
        return new AdminTokens(tokens);
    }

    static AdminTokens of(Map<String, String> identityByToken) {
        return new AdminTokens(identityByToken);
    }

    boolean enabled() {
        return !identityByToken.isEmpty();
    }

    /** The identity {@code token} stands for; compares every known token in constant time. */
    Optional<String> identify(String token) {
        byte[] presented = token.getBytes(StandardCharsets.UTF_8);
        String found = null;
        for (Map.Entry<String, String> known : identityByToken.entrySet()) {
            if (MessageDigest.isEqual(presented, known.getKey().getBytes(StandardCharsets.UTF_8))) {
                found = known.getValue();
            }
        }
        return Optional.ofNullable(found);
    }
}
