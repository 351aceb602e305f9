package dev.freshet.featurestore;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.internal.registry.EventSampler;
import dev.freshet.featurestore.internal.registry.Registration;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.FeatureViewRecord;

/**
 * The registry of feature views (the compacted topic {@code <prefix>feature-views}) for tools such as
 * {@code freshet features}: validate a file, apply it, read what is registered. Applying here and over the gRPC
 * {@code ApplyFeatureViews} validate the same way and write the same records; {@link #sample} tries a file's views
 * on recent events first. Stateless and thread-safe; each call opens and closes its own Kafka clients.
 */
public final class FeatureViewRegistry {
    /** The most events per partition {@link #sample} reads. */
    public static final int MAX_SAMPLE_EVENTS_PER_PARTITION = 100_000;

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
     * What the views of a file would make of recent events: reads the newest {@code eventsPerPartition} committed
     * events of each partition of {@code <prefix>events} and runs them through the store's own event parsing and
     * window arithmetic, per view, without registering or writing anything. An entity's state starts at the sample,
     * so lateness is judged among the sampled events only.
     *
     * @param clientConfig as for {@link #apply}
     * @param eventsPerPartition from 1 to {@link #MAX_SAMPLE_EVENTS_PER_PARTITION}
     * @return one sample per view of the file, in file order; with zero events when the topic is missing or empty
     * @throws InvalidFeatureViewException when the file is refused, with every problem
     * @throws FeatureStoreException when the events topic cannot be read within the timeout
     * @throws IllegalArgumentException when {@code eventsPerPartition} is out of range
     */
    public static List<EventSample> sample(Map<String, ?> clientConfig, String yaml, String source,
            int eventsPerPartition, Duration timeout) {
        List<FeatureView> views = FeatureViewParser.parseAll(yaml, source).stream()
            .map(FeatureViewParser.DeclaredView::view).toList();
        return EventSampler.sample(KafkaClients.from(clientConfig), TopicLayout.of(clientConfig).name(Topic.EVENTS),
            views, eventsPerPartition, timeout);
    }

    /**
     * What one view would make of a sample of recent events.
     *
     * @param view the view's name
     * @param events how many events were sampled
     * @param deadLettered by reason, as the dead-letter topic names it (e.g. {@code MISSING_FIELD}), how many
     *     sampled events the view would dead-letter; ordered by reason; empty when none
     */
    public record EventSample(String view, long events, Map<String, Refusals> deadLettered) {
        public EventSample {
            deadLettered = Collections.unmodifiableMap(new LinkedHashMap<>(deadLettered));
        }

        /** How many sampled events the view would dead-letter, for any reason. */
        public long deadLetteredCount() {
            return deadLettered.values().stream().mapToLong(Refusals::count).sum();
        }

        /** Whether the view would dead-letter more than half of the sampled events (and there were some). */
        public boolean mostDeadLettered() {
            return events > 0 && 2 * deadLetteredCount() > events;
        }
    }

    /**
     * The sampled events dead-lettered for one reason.
     *
     * @param count how many
     * @param example where the first one is ({@code partition P offset O}) and what was wrong with it, as its dead
     *     letter would say
     */
    public record Refusals(long count, String example) {
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
     * Every record the registry topic still holds, oldest first: each new version as applied (with who applied it)
     * and each state change the feature store made (a backfilled version turning ACTIVE). The topic is compacted:
     * each view's newest record is always kept, older ones until compaction removes them (once their segment has
     * rolled, by default after 7 days).
     *
     * @param clientConfig as for {@link #apply}
     * @throws FeatureStoreException when the registry cannot be read within the timeout
     */
    public static List<Written> history(Map<String, ?> clientConfig, Duration timeout) {
        return registry(clientConfig).readHistory(timeout);
    }

    /**
     * One record of the registry as it was written.
     *
     * @param writtenAtMs when it was written (the Kafka record's timestamp)
     * @param view        the view's name (the record's key)
     * @param record      the record, or null for a tombstone (the view removed)
     */
    public record Written(long writtenAtMs, String view, FeatureViewRecord record) {
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
