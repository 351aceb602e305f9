package dev.freshet.featurestore;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.internal.registry.Registration;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.FeatureViewRecord;

/**
 * The registry of feature views (the compacted topic {@code <prefix>feature-views}) for tools such as
 * {@code freshet features}: validate a file, apply it, read what is registered. Applying here and over the gRPC
 * {@code ApplyFeatureViews} validate the same way and write the same records. Stateless and thread-safe; each call
 * opens and closes its own Kafka clients.
 */
public final class FeatureViewRegistry {
    private FeatureViewRegistry() {
    }

    /**
     * Validates a file of views without a cluster: each view, and its views against each other.
     *
     * @param source named in the message (e.g. the file), or null
     * @return the views' names, in file order
     * @throws InvalidFeatureViewException with every problem as {@code "<path>: <reason>"}
     */
    public static List<String> validate(String yaml, String source) {
        return FeatureViewParser.parseAll(yaml, source).stream().map(v -> v.view().name()).toList();
    }

    /**
     * Validates a file of views as a whole (also against the registered views), then publishes a new version of
     * each view whose definition changed, all in one transaction: nothing is half-registered.
     *
     * @param clientConfig where the registry is: {@code bootstrap.servers}, {@code topics.prefix} and any
     *     {@code kafka.} client settings (see {@link dev.freshet.contracts.KafkaClients})
     * @param appliedBy recorded with each new version (e.g. the user name)
     * @param dryRun validate and report only
     * @return per view of the file: its name, its version now, and whether it was created, updated or unchanged
     * @throws InvalidFeatureViewException when the file is refused, with every problem
     * @throws FeatureStoreException when the registry cannot be read or written (nothing is registered then)
     */
    public static ApplyFeatureViewsResponse apply(Map<String, ?> clientConfig, String yaml, String source,
            String appliedBy, boolean dryRun, Duration timeout) {
        RegistryTopic registry = registry(clientConfig);
        Registration.Plan plan = Registration.plan(yaml, source, registry.readAll(timeout), appliedBy,
            System.currentTimeMillis());
        if (!dryRun) {
            registry.publish(plan.toPublish());
        }
        return plan.response();
    }

    /**
     * The newest record of every registered view, by name.
     *
     * @param clientConfig as for {@link #apply}
     * @throws FeatureStoreException when the registry cannot be read within the timeout
     */
    public static List<FeatureViewRecord> list(Map<String, ?> clientConfig, Duration timeout) {
        return List.copyOf(registry(clientConfig).readAll(timeout).values());
    }

    /**
     * The view a registry record defines, with the record's version.
     *
     * @throws InvalidFeatureViewException when the stored definition does not parse
     */
    public static FeatureView viewOf(FeatureViewRecord record) {
        return Registration.viewOf(record);
    }

    private static RegistryTopic registry(Map<String, ?> clientConfig) {
        return new RegistryTopic(KafkaClients.from(clientConfig), TopicLayout.of(clientConfig));
    }
}
