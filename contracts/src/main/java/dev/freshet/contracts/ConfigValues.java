package dev.freshet.contracts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigException;

/**
 * Values kept out of configuration files and command lines: a value that is exactly {@code ${env:NAME}} is
 * replaced by the environment variable {@code NAME}, and one that is exactly {@code ${file:/path}} by the contents
 * of that file, its trailing line break removed. Applied to every key, Freshet's and the {@code kafka.}
 * pass-through settings alike, by each component's config and by {@link KafkaClients#from}, so that a library
 * user's map and the CLI's files behave the same.
 *
 * <p>Kafka's own config providers ({@code kafka.config.providers=...}, values {@code ${provider:path:key}}) still
 * work for {@code kafka.} settings: a {@code ${file:...}} value with a second colon is theirs and is left for the
 * Kafka clients to resolve.
 *
 * <p>Errors name the key and the reference, never a value. Stateless; thread-safe.
 */
public final class ConfigValues {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):([^}]+)}");
    /** A secret file larger than this is surely the wrong file. */
    static final long FILE_MAX_BYTES = 1024 * 1024;

    private ConfigValues() {
    }

    /**
     * A copy of {@code config} with every reference resolved; other values unchanged.
     *
     * @throws ConfigException naming the key when a variable is not set or a file cannot be read
     */
    public static Map<String, Object> resolve(Map<String, ?> config) {
        return resolve(config, System::getenv);
    }

    /** Whether {@code value} is a reference this class resolves (or one left for Kafka's config providers). */
    public static boolean isReference(String value) {
        return value != null && REFERENCE.matcher(value.strip()).matches();
    }

    static Map<String, Object> resolve(Map<String, ?> config, Function<String, String> environment) {
        Map<String, Object> resolved = new LinkedHashMap<>(config.size());
        config.forEach((key, value) -> resolved.put(key, value instanceof String text
            ? resolveOne(key, text, environment) : value));
        return resolved;
    }

    private static String resolveOne(String key, String value, Function<String, String> environment) {
        Matcher reference = REFERENCE.matcher(value.strip());
        if (!reference.matches()) {
            return value;
        }
        String where = reference.group(2).strip();
        if (reference.group(1).equals("env")) {
            String found = environment.apply(where);
            if (found == null) {
                throw new ConfigException("Configuration key '" + key + "' is ${env:" + where + "}, but the "
                    + "environment variable " + where + " is not set; export it before starting Freshet, or give the "
                    + "value another way");
            }
            return found;
        }
        if (where.indexOf(':') >= 0) {
            return value;
        }
        return readFile(key, Path.of(where));
    }

    private static String readFile(String key, Path file) {
        try {
            if (Files.size(file) > FILE_MAX_BYTES) {
                throw new ConfigException("Configuration key '" + key + "' refers to the file " + file + ", which "
                    + "is larger than " + FILE_MAX_BYTES + " bytes; point it at the file that holds the value alone");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        } catch (IOException e) {
            throw new ConfigException("Configuration key '" + key + "' is ${file:" + file + "}, but the file "
                + "cannot be read (" + e.getClass().getSimpleName() + "); check the path and that this user may "
                + "read it");
        }
    }
}
