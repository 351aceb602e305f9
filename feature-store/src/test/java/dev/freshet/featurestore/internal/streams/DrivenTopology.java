package dev.freshet.featurestore.internal.streams;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * One of the feature store's topologies under a {@link TopologyTestDriver}, with real RocksDB stores in a temporary
 * directory, seen through its topics as a user sees them: JSON events, prediction-log entries and JSON labels in;
 * feature vectors, training examples and dead letters out. Event time travels in the records; the wall clock (the
 * label wait) moves only when a test advances it.
 */
final class DrivenTopology implements AutoCloseable {
    static final TopicLayout TOPICS = new TopicLayout("test.");
    /** The driver's wall clock at start; the label join's waits are measured from it. */
    static final Instant WALL_CLOCK_START = Instant.parse("2026-01-05T09:00:00Z");
    private static final long WALL_CLOCK_STEP_MS = 1_000;

    private final TopologyTestDriver driver;
    private final TestInputTopic<String, byte[]> events;
    private final TestInputTopic<String, byte[]> predictions;
    private final TestInputTopic<String, byte[]> labels;
    private final TestInputTopic<String, byte[]> featuresIn;
    private final TestOutputTopic<String, byte[]> features;
    private final TestOutputTopic<String, byte[]> trainingExamples;
    private final TestOutputTopic<String, byte[]> deadLetters;

    /** @param appConfigs settings the processors read from their application's configs (e.g. the entity TTL) */
    DrivenTopology(Topology topology, Path stateDir, Map<String, Object> appConfigs) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "feature-store-under-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "driver.invalid:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putAll(appConfigs);
        driver = new TopologyTestDriver(topology, props, WALL_CLOCK_START);
        events = input(TOPICS.name(Topic.EVENTS));
        predictions = input(TOPICS.name(Topic.PREDICTIONS));
        labels = input(TOPICS.name(Topic.LABELS));
        featuresIn = input(TOPICS.name(Topic.FEATURES));
        features = output(TOPICS.name(Topic.FEATURES));
        trainingExamples = output(TOPICS.name(Topic.TRAINING_EXAMPLES));
        deadLetters = output(TOPICS.name(Topic.DEAD_LETTER));
    }

    DrivenTopology(Topology topology, Path stateDir) {
        this(topology, stateDir, Map.of());
    }

    /** Writes an event (JSON) to the events topic, keyed by {@code key}, with the record timestamp {@code atMs}. */
    void event(String key, String json, long atMs) {
        events.pipeInput(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8), atMs);
    }

    void eventBytes(String key, byte[] value, long atMs) {
        events.pipeInput(key, value, atMs);
    }

    /** Writes a serving prediction-log entry, keyed by its request id as serving keys it. */
    void prediction(String key, byte[] entry, long atMs) {
        predictions.pipeInput(key, entry, atMs);
    }

    /** Writes a label (JSON) with the record timestamp {@code arrivedAtMs}, the time it reached Freshet. */
    void label(String key, String json, long arrivedAtMs) {
        labels.pipeInput(key, json.getBytes(StandardCharsets.UTF_8), arrivedAtMs);
    }

    /** Writes a record of the features topic, as a view's ingestion writes it ({@code <view>/<entity>}). */
    void featureRecord(String key, FeatureVector vector, long atMs) {
        featuresIn.pipeInput(key, vector == null ? null : vector.toByteArray(), atMs);
    }

    /**
     * Lets {@code by} of wall-clock time pass, in steps of at most a second, so that every run of the label join's
     * expiry comes due at its own time as it would in a live application (the driver runs a due schedule once per
     * advance, however far it jumps).
     */
    void advanceWallClock(Duration by) {
        for (long left = by.toMillis(); left > 0; left -= WALL_CLOCK_STEP_MS) {
            driver.advanceWallClockTime(Duration.ofMillis(Math.min(left, WALL_CLOCK_STEP_MS)));
        }
    }

    /** The feature vectors (and tombstones, as null values) written since the last call, with their keys. */
    List<KeyValue<String, FeatureVector>> features() {
        return features.readKeyValuesToList().stream()
            .map(kv -> KeyValue.pair(kv.key, kv.value == null ? null : parse(kv.value, FeatureVector::parseFrom)))
            .toList();
    }

    /** The training examples written since the last call. */
    List<TrainingExample> trainingExamples() {
        return trainingExamples.readValuesToList().stream().map(v -> parse(v, TrainingExample::parseFrom)).toList();
    }

    /** The training examples written since the last call, with their keys. */
    List<KeyValue<String, TrainingExample>> keyedTrainingExamples() {
        return trainingExamples.readKeyValuesToList().stream()
            .map(kv -> KeyValue.pair(kv.key, parse(kv.value, TrainingExample::parseFrom))).toList();
    }

    /** The dead letters written since the last call. */
    List<DeadLetter> deadLetters() {
        return deadLetters.readValuesToList().stream().map(v -> parse(v, DeadLetter::parseFrom)).toList();
    }

    /** The dead letters written since the last call, with their keys (the original record's key). */
    List<KeyValue<String, DeadLetter>> keyedDeadLetters() {
        return deadLetters.readKeyValuesToList().stream()
            .map(kv -> KeyValue.pair(kv.key, parse(kv.value, DeadLetter::parseFrom))).toList();
    }

    @Override
    public void close() {
        driver.close();
    }

    private TestInputTopic<String, byte[]> input(String topic) {
        return driver.createInputTopic(topic, new StringSerializer(), new ByteArraySerializer());
    }

    private TestOutputTopic<String, byte[]> output(String topic) {
        return driver.createOutputTopic(topic, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    private static <T> T parse(byte[] bytes, Parser<T> parser) {
        try {
            return parser.parse(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("An output record is not the protobuf its topic carries", e);
        }
    }
}
