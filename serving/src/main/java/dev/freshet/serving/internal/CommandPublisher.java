package dev.freshet.serving.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.proto.registry.v1.Command;
import io.grpc.Status;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes operators' commands to the commands topic and waits for the broker to acknowledge each. Thread-safe. */
final class CommandPublisher implements AutoCloseable {
    private static final long SEND_TIMEOUT_MS = 10_000;

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    CommandPublisher(KafkaClients clients, String topic, String clientId) {
        this.topic = topic;
        this.producer = clients.idempotentProducer(clientId, Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, SEND_TIMEOUT_MS),
            new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Writes {@code command} (key: its model) and returns once the broker has it.
     *
     * @throws io.grpc.StatusRuntimeException UNAVAILABLE when it could not be written in time
     */
    void publish(Command command) {
        try {
            producer.send(new ProducerRecord<>(topic, command.getModel(), command.toByteArray()))
                .get(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e.toString());
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw unavailable(e.getCause() == null ? e.toString() : e.getCause().getMessage());
        }
    }

    private io.grpc.StatusRuntimeException unavailable(String why) {
        return Status.UNAVAILABLE.withDescription(String.format("the change could not be written to topic '%s' "
            + "(%s), so it was not made; retry when Kafka is reachable.", topic, why)).asRuntimeException();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
