package dev.freshet.launcher.internal;

import java.util.Locale;
import java.util.Map;

import dev.freshet.contracts.KafkaClients;

/**
 * Who a change written straight to a topic is recorded as: there the authority is the cluster's (its ACLs on the
 * topic), so the honest name is the principal the cluster authenticates, {@code kafka:<SASL user>}, read from the
 * configured {@code kafka.sasl.jaas.config}; without SASL the cluster knows no user, and the record says so with
 * {@code local:<OS user>}. Never a name the caller chooses.
 */
final class KafkaIdentity {
    private KafkaIdentity() {
    }

    /** {@code kafka:<user>} under SASL, {@code kafka:ssl-client-certificate} under SSL with a keystore, else local. */
    static String of(Map<String, ?> config) {
        String protocol = setting(config, "security.protocol").toUpperCase(Locale.ROOT);
        String jaas = setting(config, "sasl.jaas.config");
        if (protocol.startsWith("SASL") || !jaas.isEmpty()) {
            String user = KafkaClients.saslUser(jaas).orElse(null);
            return user != null ? "kafka:" + user : "kafka:unnamed " + setting(config, "sasl.mechanism")
                .toUpperCase(Locale.ROOT).strip() + " user (not named in " + KafkaClients.PREFIX + "sasl.jaas.config)";
        }
        if (protocol.equals("SSL") && !setting(config, "ssl.keystore.location").isEmpty()) {
            return "kafka:ssl-client-certificate";
        }
        return "local:" + System.getProperty("user.name", "unknown");
    }

    private static String setting(Map<String, ?> config, String name) {
        Object value = config.get(KafkaClients.PREFIX + name);
        return value == null ? "" : value.toString().strip();
    }
}
