package dev.freshet.contracts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names of one loop's topics, consumer groups and transactional ids, all under one {@code topics.prefix}, and
 * the one place that creates the topics. Every module asks here for a name, so that two modules cannot disagree
 * on one. Immutable; thread-safe.
 */
public final class TopicLayout {
    private static final Logger log = LoggerFactory.getLogger(TopicLayout.class);

    private static final Duration WRITABLE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WRITABLE_POLL = Duration.ofMillis(20);

    private final String prefix;

    /** @param prefix {@code topics.prefix}: prepended to every name; may be empty, not null */
    public TopicLayout(String prefix) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    /** The layout named by a configuration's {@code topics.prefix} (its default when absent). */
    public static TopicLayout of(Map<String, ?> config) {
        Object prefix = config.get(CommonConfig.TOPICS_PREFIX_CONFIG);
        return new TopicLayout(prefix == null ? CommonConfig.TOPICS_PREFIX_DEFAULT : prefix.toString());
    }

    public String prefix() {
        return prefix;
    }

    /** The topic's full name, e.g. {@code freshet.models}. */
    public String name(Topic topic) {
        return prefix + topic.suffix();
    }

    /**
     * A consumer group, Kafka Streams application id, client id or transactional id of one component's part,
     * e.g. {@code clientId("trainer")} = {@code freshet.trainer}: one prefix is one loop, so two loops on one
     * cluster never share a group or fence each other's transactions.
     */
    public String clientId(String part) {
        return prefix + part;
    }

    /**
     * Creates the topics that do not exist yet (existing ones are left as they are) and returns once every partition
     * takes writes ({@link #awaitWritable}).
     *
     * @param partitions        partitions per topic, or an empty value for the broker's default; the label join needs
     *                          the predictions and labels topics to have the same count, which one value guarantees
     * @param replicationFactor replicas per partition, or an empty value for the broker's default
     * @throws KafkaException naming the prefix and what to check when the cluster refuses
     */
    public void ensureTopics(Admin admin, Optional<Integer> partitions, Optional<Short> replicationFactor) {
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (Topic topic : Topic.values()) {
                if (!existing.contains(name(topic))) {
                    NewTopic newTopic = new NewTopic(name(topic), partitions, replicationFactor);
                    newTopic.configs(topic.configs());
                    missing.add(newTopic);
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
                log.info("Created topics {}.", missing.stream().map(NewTopic::name).collect(Collectors.joining(", ")));
            }
            // Also when another process created them a moment ago.
            awaitWritable(admin, Arrays.stream(Topic.values()).map(this::name).toList(), WRITABLE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while creating Freshet's topics", e);
        } catch (ExecutionException e) {
            if (refusedAccess(e.getCause())) {
                throw new KafkaException("Kafka refused to list or create Freshet's topics with prefix '" + prefix
                    + "': " + e.getCause().getMessage(), e.getCause());
            }
            throw new KafkaException("Could not create Freshet's topics with prefix '" + prefix + "': "
                + e.getCause().getMessage() + "; check bootstrap.servers, the kafka.* security settings and the "
                + "cluster's ACLs", e.getCause());
        }
    }

    /**
     * Waits until the leader of every partition of {@code topics} takes writes. A topic exists for the controller
     * before its leader has opened the partition's log; a producer that writes at once then has its first request
     * refused (NOT_LEADER_OR_FOLLOWER) while its second is appended, and the retried first one can never be
     * appended again (apache/kafka KAFKA-15591, fixed in brokers from 4.5): idempotent producers lose it after
     * {@code delivery.timeout.ms}, transactional ones retry it noisily. A successful ListOffsets is answered by the
     * leader from the open log, so it is the signal that writing is safe.
     *
     * @throws KafkaException when a partition is still not writable after {@code timeout}
     */
    public static void awaitWritable(Admin admin, Collection<String> topics, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
            while (true) {
                try {
                    // Described in the loop too: a topic created a moment ago may be unknown to the broker asked
                    // (UnknownTopicOrPartitionException, retriable) until the controller's metadata reaches it.
                    if (partitions.isEmpty()) {
                        for (TopicDescription description : admin.describeTopics(topics).allTopicNames().get()
                                .values()) {
                            for (TopicPartitionInfo info : description.partitions()) {
                                partitions.put(new TopicPartition(description.name(), info.partition()),
                                    OffsetSpec.latest());
                            }
                        }
                    }
                    admin.listOffsets(partitions).all().get();
                    return;
                } catch (ExecutionException e) {
                    if (refusedAccess(e.getCause())) {
                        throw new KafkaException("Kafka refused to describe the partitions of " + topics + ": "
                            + e.getCause().getMessage(), e.getCause());
                    }
                    if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                        throw new KafkaException("The partitions of " + topics + " did not become writable within "
                            + timeout.toSeconds() + " s: " + e.getCause().getMessage(), e.getCause());
                    }
                    Thread.sleep(WRITABLE_POLL.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while waiting for the partitions of " + topics, e);
        }
    }

    // Neither is retriable, and neither means the cluster is slow: say so rather than "did not become writable".
    private static boolean refusedAccess(Throwable cause) {
        return cause instanceof AuthenticationException || cause instanceof AuthorizationException;
    }

    /**
     * Every ACL {@code principal} needs to run each component and CLI verb of this loop, and nothing more: all
     * prefixed by {@link #prefix()}, which covers the topics, the Kafka Streams internal topics, the consumer groups
     * and the transactional ids (all named from it). Topics: CREATE ({@code freshet run} creates missing topics,
     * Kafka Streams its internal ones), DESCRIBE and DESCRIBE_CONFIGS (start-up checks, Streams' topic
     * validation), READ and WRITE. Groups: READ and DESCRIBE. Transactional ids: WRITE and DESCRIBE. Idempotent
     * producers need nothing on the cluster (WRITE on a topic implies it).
     *
     * @param principal e.g. {@code User:freshet}
     * @throws IllegalStateException when the prefix is empty: a prefixed ACL on "" would be every resource
     */
    public List<AclBinding> acls(String principal) {
        if (prefix.isEmpty()) {
            throw new IllegalStateException("A loop without a topics.prefix needs ACLs on every topic, group and "
                + "transactional id of the cluster; set topics.prefix to grant prefixed ones");
        }
        List<AclBinding> acls = new ArrayList<>();
        Map<ResourceType, List<AclOperation>> needs = new LinkedHashMap<>();
        needs.put(ResourceType.TOPIC, List.of(AclOperation.CREATE, AclOperation.DESCRIBE,
            AclOperation.DESCRIBE_CONFIGS, AclOperation.READ, AclOperation.WRITE));
        needs.put(ResourceType.GROUP, List.of(AclOperation.READ, AclOperation.DESCRIBE));
        needs.put(ResourceType.TRANSACTIONAL_ID, List.of(AclOperation.WRITE, AclOperation.DESCRIBE));
        needs.forEach((type, operations) -> operations.forEach(operation -> acls.add(new AclBinding(
            new ResourcePattern(type, prefix, PatternType.PREFIXED),
            new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)))));
        return acls;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicLayout other && other.prefix.equals(prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }

    @Override
    public String toString() {
        return "topics '" + prefix + "*'";
    }
}
