package dev.freshet.launcher.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * A verb that Kafka refused (a wrong password, a missing ACL) ends with one line naming the principal of its
 * {@code --config}, like a component's start does, instead of a stack trace.
 */
public final class KafkaRefusal {
    private KafkaRefusal() {
    }

    /** The refusal among {@code failure}'s causes, as one line; empty when Kafka refused nothing. */
    public static Optional<String> describe(Throwable failure, ParseResult parsed) {
        return KafkaAccessException.find(failure, identity(parsed), null).map(RuntimeException::getMessage);
    }

    private static String identity(ParseResult parsed) {
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        ClusterOptions cluster = find(leaf.commandSpec());
        if (cluster == null) {
            return "the principal of the kafka.* settings";
        }
        Map<String, Object> clientSettings = new HashMap<>();
        try {
            cluster.withOptions().forEach((key, value) -> {
                if (key.startsWith(KafkaClients.PREFIX)) {
                    clientSettings.put(key.substring(KafkaClients.PREFIX.length()), value);
                }
            });
        } catch (RuntimeException e) {
            // The configuration was read once already; should it fail now, say less rather than fail again.
            return "the principal of the kafka.* settings";
        }
        return KafkaClients.identityOf(clientSettings);
    }

    private static ClusterOptions find(CommandSpec spec) {
        if (spec.userObject() instanceof ClusterOptions options) {
            return options;
        }
        for (CommandSpec mixin : spec.mixins().values()) {
            ClusterOptions found = find(mixin);
            if (found != null) {
                return found;
            }
        }
        return null;
    }
}
