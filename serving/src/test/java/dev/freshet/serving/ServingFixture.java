package dev.freshet.serving;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import com.google.protobuf.ByteString;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A scoring server on an in-process transport, its topics under a unique prefix, and a producer to feed them. */
final class ServingFixture implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    final KafkaTestCluster cluster;
    final String prefix = KafkaTestCluster.uniquePrefix();
    final Path stateDir;
    private final KafkaProducer<String, byte[]> producer;
    private final String serverName = "serving-" + UUID.randomUUID();
    ScoringServer server;
    ManagedChannel channel;
    PredictionServiceGrpc.PredictionServiceBlockingStub predictions;
    HealthGrpc.HealthBlockingStub health;

    private final Map<String, Object> extraProps;

    ServingFixture(KafkaTestCluster cluster, Path stateDir) {
        this(cluster, stateDir, Map.of());
    }

    /** With {@code extraProps} added to (or replacing) the default server config. */
    ServingFixture(KafkaTestCluster cluster, Path stateDir, Map<String, ?> extraProps) {
        this.cluster = cluster;
        this.stateDir = stateDir;
        this.extraProps = Map.copyOf(extraProps);
        cluster.createTopics(prefix + "features", prefix + "models", prefix + "commands", prefix + "predictions");
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrapServers()),
            new StringSerializer(), new ByteArraySerializer());
        start();
    }

    Map<String, Object> props() {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("serving.state.dir", stateDir.toString());
        props.put("serving.shutdown.grace.ms", 2000L);
        props.putAll(extraProps);
        return props;
    }

    /** (Re)starts the server and connects to it. */
    void start() {
        server = ScoringServer.start(props(), InProcessServerBuilder.forName(serverName));
        channel = InProcessChannelBuilder.forName(serverName).build();
        predictions = PredictionServiceGrpc.newBlockingStub(channel);
        health = HealthGrpc.newBlockingStub(channel);
    }

    void stop() {
        channel.shutdownNow();
        server.close();
    }

    void publish(long version, long parent, byte[] tribuoModel) {
        send(prefix + "models", "default/" + version, ModelVersion.newBuilder()
            .setModel("default").setVersion(version).setParentVersion(parent)
            .setOrigin(ModelVersion.Origin.EXTERNAL).setTribuoModel(ByteString.copyFrom(tribuoModel))
            .setPublishedAtMs(System.currentTimeMillis()).build().toByteArray());
    }

    void rollback(long target, long restore, String reason) {
        send(prefix + "commands", "default", Command.newBuilder()
            .setCommandId(UUID.randomUUID().toString()).setType(Command.Type.ROLLBACK).setModel("default")
            .setTargetVersion(target).setRestoreVersion(restore).setReason(reason).setIssuedBy("test")
            .setIssuedAtMs(System.currentTimeMillis()).build().toByteArray());
    }

    void putFeatures(String entityId, Map<String, Double> values) {
        send(prefix + "features", entityId, FeatureVector.newBuilder()
            .setEntityId(entityId).setView("test").putAllValues(values).build().toByteArray());
    }

    /** Writes the entity's vector of one feature view, keyed {@code <view>/<entity id>} as the feature store does. */
    void putViewFeatures(String view, String entityId, long eventTimeMs, Map<String, Double> values) {
        send(prefix + "features", view + "/" + entityId, FeatureVector.newBuilder().setEntityId(entityId)
            .setView(view).setEventTimeMs(eventTimeMs).putAllValues(values).build().toByteArray());
    }

    /** A tombstone for one view of one entity, as the feature store writes when the entity expires. */
    void deleteViewFeatures(String view, String entityId) {
        send(prefix + "features", view + "/" + entityId, null);
    }

    void send(String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value));
        producer.flush();
    }

    void awaitServing(long version) {
        KafkaTestCluster.await("serving model v" + version, TIMEOUT,
            () -> server.stats().currentModelVersion() == version);
    }

    ServingStatus healthStatus() {
        return health.check(HealthCheckRequest.newBuilder().setService("").build()).getStatus();
    }

    static PredictRequest.Builder request(String entityId) {
        return PredictRequest.newBuilder().setEntityId(entityId)
            .putFields("amount", FieldValue.newBuilder().setNumberValue(0.8).build())
            .putFields("channel", FieldValue.newBuilder().setStringValue("web").build())
            .putFields("is_new_device", FieldValue.newBuilder().setBoolValue(true).build());
    }

    @Override
    public void close() {
        stop();
        producer.close(Duration.ofSeconds(5));
    }
}
