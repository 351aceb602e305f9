package dev.freshet.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The shared embedded broker, with the few operations tests need. Thread-safe. */
public final class KafkaTestCluster implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final EmbeddedKafkaBroker broker;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> bytesProducer;

    KafkaTestCluster(EmbeddedKafkaBroker broker) {
        this.broker = broker;
        this.admin = Admin.create(withBootstrap(Map.of()));
        this.bytesProducer = new KafkaProducer<>(producerProps(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * A cluster of its own, secured (SASL_PLAINTEXT, SCRAM-SHA-256, ACLs; see
     * {@link EmbeddedKafkaBroker#startSecured}), for tests of credentials and ACLs; the shared
     * {@link EmbeddedKafkaExtension} cluster stays plaintext. This object's own operations (topics, records) act as
     * the super user. The caller closes it.
     */
    public static KafkaTestCluster startSecured(EmbeddedKafkaBroker.SaslUser superUser) {
        return new KafkaTestCluster(EmbeddedKafkaBroker.startSecured(superUser));
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The broker, e.g. to {@link EmbeddedKafkaBroker#createUsers} and {@link EmbeddedKafkaBroker#createAcls}. */
    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    /**
     * A component's configuration for this cluster as {@code user}: {@code bootstrap.servers} and the user's
     * credentials as {@code kafka.*} settings, exactly as an operator writes them.
     */
    public Map<String, Object> componentConfig(EmbeddedKafkaBroker.SaslUser user) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", bootstrapServers());
        EmbeddedKafkaBroker.clientSettings(user).forEach((k, v) -> config.put("kafka." + k, v));
        return config;
    }

    /** Kafka client properties with this cluster's address and, when it is secured, the super user's credentials. */
    private Map<String, Object> withBootstrap(Map<String, Object> props) {
        Map<String, Object> all = new HashMap<>(broker.superUserSettings());
        all.putAll(props);
        all.put("bootstrap.servers", bootstrapServers());
        return all;
    }

    /** A prefix no other test in this JVM uses, e.g. {@code "t3f9a1c2."}, for topic names and group ids. */
    public static String uniquePrefix() {
        return "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    /** A topic name no other test in this JVM uses. */
    public static String uniqueTopic(String base) {
        return uniquePrefix() + base;
    }

    /**
     * Creates the topics with one partition each; waits until their leader takes writes (as TopicLayout.awaitWritable
     * does, which this module cannot reach: a producer writing at once can lose its first batch, KAFKA-15591).
     */
    public void createTopics(String... names) {
        List<NewTopic> topics = new ArrayList<>();
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (String name : names) {
            topics.add(new NewTopic(name, 1, (short) 1));
            partitions.put(new TopicPartition(name, 0), OffsetSpec.latest());
        }
        try {
            admin.createTopics(topics).all().get();
            awaitWritable(partitions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not create topics " + List.of(names), e.getCause());
        }
    }

    private void awaitWritable(Map<TopicPartition, OffsetSpec> partitions) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                admin.listOffsets(partitions).all().get();
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Topics " + partitions.keySet() + " did not become writable",
                        e.getCause());
                }
                Thread.sleep(20);
            }
        }
    }

    /** Produces string records (key may be null) and waits until all are acknowledged. */
    public void produceStrings(String topic, List<Map.Entry<String, String>> keyValues) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                 producerProps(), new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            for (Map.Entry<String, String> kv : keyValues) {
                sends.add(producer.send(new ProducerRecord<>(topic, kv.getKey(), kv.getValue())));
            }
            producer.flush();
            awaitAcknowledged(topic, sends);
        }
    }

    /**
     * Produces byte records (key may be null) and waits until all are acknowledged. One producer serves every
     * call, so tests that produce record by record pay for it once.
     */
    public void produceBytes(String topic, List<Map.Entry<byte[], byte[]>> keyValues) {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> kv : keyValues) {
            sends.add(bytesProducer.send(new ProducerRecord<>(topic, kv.getKey(), kv.getValue())));
        }
        bytesProducer.flush();
        awaitAcknowledged(topic, sends);
    }

    /** A test whose input was refused (too large, a missing topic) must fail here, not wait for output later. */
    private static void awaitAcknowledged(String topic, List<Future<RecordMetadata>> sends) {
        for (int i = 0; i < sends.size(); i++) {
            try {
                sends.get(i).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("Record " + i + " of " + sends.size() + " to " + topic
                    + " was refused: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    // On a loaded machine the embedded broker has answered an idempotent producer's retried first batch with
    // OUT_OF_ORDER_SEQUENCE_NUMBER until the delivery timeout; tests need order, not idempotence, so one request
    // in flight without idempotence keeps both order and progress.
    private Map<String, Object> producerProps() {
        return withBootstrap(Map.of("enable.idempotence", "false", "max.in.flight.requests.per.connection", "1",
            "acks", "all"));
    }

    /**
     * Reads the topic from the beginning (committed records only) until {@code done} accepts what was read,
     * or fails when {@code timeout} passes first, naming the topic and how many records were seen.
     */
    public List<ConsumerRecord<byte[], byte[]>> consumeUntil(
            String topic, Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
        Map<String, Object> props = withBootstrap(new HashMap<>());
        props.put("group.id", "test-reader-" + UUID.randomUUID());
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(Set.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(seen)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Topic " + topic + ": condition not met within " + timeout
                        + " after reading " + seen.size() + " records");
                }
                consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
            }
        }
        return seen;
    }

    /** Polls {@code condition} every 20 ms until it holds, or fails with {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + what, e);
            }
        }
    }

    @Override
    public void close() {
        bytesProducer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
        broker.close();
    }
}
