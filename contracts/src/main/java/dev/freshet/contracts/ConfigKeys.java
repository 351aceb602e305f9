package dev.freshet.contracts;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Refuses configuration keys nobody reads, so that a typo ({@code serving.prot=50099}) stops start-up naming the
 * nearest key instead of leaving the default silently in force. Kafka's own {@code AbstractConfig} only logs
 * unused keys; Freshet's components share one configuration map, so the question "is this key anyone's?" is asked
 * against every definition in play.
 */
public final class ConfigKeys {
    private ConfigKeys() {
    }

    /**
     * Checks that every key is defined by one of {@code definitions} or is a valid {@code kafka.} pass-through setting.
     *
     * @throws ConfigException naming the first unknown key (in sorted order) and the nearest known one
     */
    public static void requireKnown(Map<String, ?> config, Collection<ConfigDef> definitions) {
        Set<String> known = new TreeSet<>();
        definitions.forEach(def -> known.addAll(def.names()));
        for (String key : new TreeSet<>(config.keySet())) {
            if (!known.contains(key) && !key.startsWith(KafkaClients.PREFIX)) {
                throw unknown(key, known);
            }
        }
        KafkaClients.validatePassThrough(config);
    }

    /**
     * Checks the keys of one component's namespace: every key starting with {@code namespace} (e.g.
     * {@code "serving."}) must be one {@code definition} defines, and every {@code kafka.} setting must be valid.
     * Keys of other namespaces are left to their owners, since components started in one JVM share one map.
     *
     * @throws ConfigException naming the first unknown key of the namespace and the nearest known one
     */
    public static void requireKnownIn(Map<String, ?> config, ConfigDef definition, String namespace) {
        KafkaClients.validatePassThrough(config);
        for (String key : new TreeSet<>(config.keySet())) {
            if (key.startsWith(namespace) && !definition.names().contains(key)) {
                throw unknown(key, definition.names());
            }
        }
    }

    // The value is left out: a misspelt key may well hold a password or a token.
    private static ConfigException unknown(String key, Collection<String> known) {
        return new ConfigException("Unknown configuration key '" + key + "'" + Suggestions.didYouMean(key, known)
            + " (`freshet config docs` lists every key; a Kafka client setting takes the prefix "
            + KafkaClients.PREFIX + ")");
    }
}
