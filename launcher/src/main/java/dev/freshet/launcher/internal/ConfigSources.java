package dev.freshet.launcher.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.ConfigKeys;
import dev.freshet.contracts.ConfigValues;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.serving.ServingConfig;
import dev.freshet.trainer.TrainerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Where every entry point's configuration comes from ({@code --config FILE}, then {@code -D key=value}), and the
 * one check that each key is someone's: every definition a component of the loop or the launcher has, plus the
 * {@code kafka.} pass-through settings. A typo stops the command before anything is created on the cluster.
 */
final class ConfigSources {
    private ConfigSources() {
    }

    /** Every component's definition, by the name {@code freshet config docs} prints. */
    static Map<String, ConfigDef> definitions() {
        Map<String, ConfigDef> components = new LinkedHashMap<>();
        components.put("launcher (freshet run, freshet demo)", RunCommand.configDef());
        components.put("feature-store", FeatureStoreConfig.configDef());
        components.put("trainer", TrainerConfig.configDef());
        components.put("serving", ServingConfig.configDef());
        components.put("monitor", MonitorConfig.configDef());
        return components;
    }

    /**
     * The file's keys, then the overrides (which win).
     *
     * @param file a properties file, or null
     * @throws ConfigException naming the key and its nearest valid one when a key is nobody's, or the line when
     *                         the file has a line that is not {@code key=value}
     * @throws LauncherException when the file cannot be read
     */
    static Map<String, Object> load(Path file, Map<String, String> overrides) {
        Map<String, Object> config = new LinkedHashMap<>();
        if (file != null) {
            config.putAll(readFile(file));
        }
        config.putAll(overrides);
        // Before the keys are checked: the secret is in the process list even when the command then stops.
        warnAboutSecretsOnTheCommandLine(overrides);
        ConfigKeys.requireKnown(config, definitions().values());
        return config;
    }

    /**
     * One line on standard error when {@code -D} gave a secret its value: the command line is visible to every user
     * of the machine ({@code ps}, {@code /proc/PID/cmdline}) and stays in shell histories. A reference
     * ({@code ${env:NAME}}, {@code ${file:/path}}) is not a secret and is not warned about.
     */
    static void warnAboutSecretsOnTheCommandLine(Map<String, String> overrides) {
        List<String> secrets = overrides.entrySet().stream()
            .filter(e -> isSecret(e.getKey()) && !ConfigValues.isReference(e.getValue()))
            .map(Map.Entry::getKey).sorted().toList();
        if (!secrets.isEmpty()) {
            System.err.println("freshet: warning: -D " + String.join(", ", secrets) + " puts a secret on the command "
                + "line, where ps shows it to every user of this machine; put it in a --config FILE, use a "
                + "*.token.file key, or give the value as ${env:NAME} or ${file:/path}.");
        }
    }

    /**
     * Whether a key holds a secret: a password key of any component, a {@code *.token}, or a {@code kafka.} setting
     * whose name says password, secret or JAAS configuration (sasl.jaas.config, ssl.key.password,
     * ssl.keystore.password, sasl.oauthbearer client secrets, ...).
     */
    static boolean isSecret(String key) {
        if (key.endsWith(".token")) {
            return true;
        }
        if (key.startsWith(KafkaClients.PREFIX)) {
            String setting = key.toLowerCase(java.util.Locale.ROOT);
            return setting.contains("password") || setting.contains("secret") || setting.contains("jaas");
        }
        return definitions().values().stream().map(def -> def.configKeys().get(key))
            .anyMatch(definition -> definition != null && definition.type == ConfigDef.Type.PASSWORD);
    }

    /**
     * Reads {@code key=value} lines; blank lines and lines starting with '#' or '!' are skipped. Unlike
     * {@link java.util.Properties}, which takes a junk line as a key with an empty value, any other line is refused.
     */
    static Map<String, String> readFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new LauncherException("Cannot read --config " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> config = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                // The line is not echoed: a mistyped line may well hold a password or a token.
                throw new ConfigException(String.format("%s line %d is not key=value (it has no '=' after a key); "
                    + "write one key=value per line (see `freshet config docs`), or start the line with # to comment "
                    + "it out", file, i + 1));
            }
            config.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        return config;
    }
}
