package dev.freshet.trainer.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.TrainerException;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's topic names and Kafka clients, all made here: a read_committed consumer of the training examples
 * (its group's offsets are committed in the publishing transactions), read_committed readers of the registry (models
 * and schemas) and of the commands, and the transactional producer whose id fences an earlier incarnation of the
 * same model's trainer. Closes them all. The clients belong to the trainer's thread, except {@link #wakeup}.
 */
final class TrainerKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerKafka.class);
    static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

    final String trainingTopic;
    final String modelsTopic;
    final String commandsTopic;
    final String acksTopic;
    final String schemasTopic;
    private final KafkaClients clients;

    /** The name of the topic the trainer learns from, for the configured topics.prefix. */
    static String trainingTopic(TrainerConfig config) {
        return config.topics().name(Topic.TRAINING_EXAMPLES);
    }
    private final KafkaConsumer<String, byte[]> training;
    private final KafkaConsumer<String, byte[]> registry;
    private final KafkaConsumer<String, byte[]> commands;
    private final Producer<String, byte[]> producer;

    /**
     * Opens the clients (none is left open if one fails).
     *
     * @param producerSeam wraps the transactional producer (tests use it to make Kafka's answers fail)
     * @throws org.apache.kafka.common.KafkaException if a client cannot be made
     */
    TrainerKafka(TrainerConfig config, String modelName, UnaryOperator<Producer<String, byte[]>> producerSeam) {
        TopicLayout topics = config.topics();
        this.trainingTopic = topics.name(Topic.TRAINING_EXAMPLES);
        this.modelsTopic = topics.name(Topic.MODELS);
        this.commandsTopic = topics.name(Topic.COMMANDS);
        this.acksTopic = topics.name(Topic.COMMAND_ACKS);
        this.schemasTopic = topics.name(Topic.MODEL_SCHEMAS);
        this.clients = KafkaClients.from(config.originals());
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            // The group's offsets are committed in the publishing transactions, never by the consumer.
            this.training = open(opened, clients.groupReader(topics.clientId("trainer"), false,
                Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000), new StringDeserializer(),
                new ByteArrayDeserializer()));
            this.registry = open(opened, newReader());
            this.commands = open(opened, newReader());
            this.producer = open(opened, producerSeam.apply(clients.transactionalProducer(
                topics.clientId("trainer-" + modelName), producerTuning(), new StringSerializer(),
                new ByteArraySerializer())));
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T open(List<AutoCloseable> opened, T resource) {
        opened.add(resource);
        return resource;
    }

    private static Map<String, Object> producerTuning() {
        Map<String, Object> tuning = new HashMap<>();
        // A trainer killed mid-publish leaves its transaction open, which holds back every read_committed reader
        // of the models topic until it times out (or the trainer restarts); publishing takes milliseconds.
        tuning.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        tuning.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // A publication sends several records to the models partition (tombstones, the previous version without its
        // checkpoint, the new version), often in several batches. With more than one request in flight, a first
        // batch refused while the broker adds the partition to the transaction lets the second arrive first, and
        // the broker refuses it as out of sequence (logged at ERROR) before the retries sort it out.
        tuning.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        // A version carries its weights and checkpoint (some 90 bytes per feature with 2 labels and AdaGrad: 9 MB at
        // 100k features), beyond the default 1 MB request size; the models topics are created to take as much.
        tuning.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, KafkaClients.MODEL_RECORD_MAX_BYTES);
        return tuning;
    }

    /** As whom the clients connect, for messages ({@link KafkaClients#identity()}). */
    String identity() {
        return clients.identity();
    }

    /** A new read_committed reader with no group, for one-off reads; the caller closes it. */
    KafkaConsumer<String, byte[]> newReader() {
        return clients.committedReader(null, Map.of(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    String bootstrap() {
        return clients.bootstrapServers();
    }

    KafkaConsumer<String, byte[]> training() {
        return training;
    }

    KafkaConsumer<String, byte[]> registry() {
        return registry;
    }

    KafkaConsumer<String, byte[]> commands() {
        return commands;
    }

    Producer<String, byte[]> producer() {
        return producer;
    }

    /** The names of the topics that exist on the cluster. */
    Set<String> existingTopics() {
        return commands.listTopics(KAFKA_TIMEOUT).keySet();
    }

    /**
     * Every partition of a topic.
     *
     * @throws TrainerException if the topic does not exist
     */
    static List<TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, KAFKA_TIMEOUT);
        if (partitions == null || partitions.isEmpty()) {
            throw new TrainerException("Topic '" + topic + "' does not exist; create it (the launcher does) "
                + "or check topics.prefix.");
        }
        return partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    /** Assigns every partition of a topic to the consumer (no group rebalancing). */
    static List<TopicPartition> assign(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<TopicPartition> assigned = partitionsOf(consumer, topic);
        consumer.assign(assigned);
        return assigned;
    }

    static void assignFromBeginning(KafkaConsumer<String, byte[]> consumer, String topic) {
        consumer.seekToBeginning(assign(consumer, topic));
    }

    /** Interrupts any blocking call of the consumers; safe from any thread. */
    void wakeup() {
        training.wakeup();
        registry.wakeup();
        commands.wakeup();
    }

    /** Closes every client, each within a bounded time; problems are logged. */
    @Override
    public void close() {
        closeAll(List.of(training, registry, commands, producer));
    }

    private static void closeAll(List<? extends AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                if (resource instanceof KafkaConsumer<?, ?> consumer) {
                    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
                } else if (resource instanceof Producer<?, ?> producer) {
                    producer.close(Duration.ofSeconds(5));
                } else {
                    resource.close();
                }
            } catch (Exception e) {
                log.warn("Could not close a Kafka client cleanly: {}", e.getMessage());
            }
        }
    }
}
