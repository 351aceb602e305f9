package dev.freshet.launcher.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.freshet.contracts.KafkaClients;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Command;

/** {@code freshet config docs}: every configuration key of every component, from the components' own ConfigDefs. */
@Command(name = "docs", description = "Print every configuration key with its type, default and documentation.")
public final class ConfigDocsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        Map<String, ConfigDef> components = ConfigSources.definitions();
        components.forEach((component, def) -> {
            System.out.println("## " + component);
            System.out.println();
            List<ConfigDef.ConfigKey> keys = new java.util.ArrayList<>(def.configKeys().values());
            keys.sort(java.util.Comparator.comparing(k -> k.name));
            for (ConfigDef.ConfigKey key : keys) {
                String defaultValue = key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : "(required)";
                System.out.printf("%s  [%s, default %s]%n    %s%n", key.name, key.type.name().toLowerCase(java.util.Locale.ROOT),
                    defaultValue == null || defaultValue.isEmpty() ? "\"\"" : defaultValue, key.documentation);
                if (key.validator != null) {
                    System.out.printf("    Accepted: %s%n", key.validator);
                }
            }
            System.out.println();
        });
        System.out.println("## Kafka clients (every component and CLI verb)");
        System.out.println();
        System.out.printf("%s<setting>%n    %s%n", KafkaClients.PREFIX, KafkaClients.PREFIX_DOC);
        return 0;
    }
}
