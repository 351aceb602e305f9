package dev.freshet.launcher.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.ConfigKeys;
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
        ConfigKeys.requireKnown(config, definitions().values());
        return config;
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
                throw new ConfigException(String.format("%s line %d is not key=value: '%s'; write one key=value per "
                    + "line (see `freshet config docs`), or start the line with # to comment it out", file, i + 1,
                    line));
            }
            config.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        return config;
    }
}
