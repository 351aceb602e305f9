package dev.freshet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StandaloneBrokerTest {

    @Test
    void aRestartOnTheSameDirectoryKeepsTheTopicsRecords(@TempDir Path dir) throws Exception {
        int brokerPort = freePort();
        int controllerPort = freePort();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startStandalone(dir, brokerPort, controllerPort)) {
            Map<String, Object> common = Map.of("bootstrap.servers", broker.bootstrapServers());
            try (Admin admin = Admin.create(common)) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(common, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>("kept", "k", "before-" + i)).get();
                }
            }
        }
        assertThat(dir.resolve("log").resolve("meta.properties")).exists();

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startStandalone(dir, brokerPort, controllerPort)) {
            assertThat(broker.bootstrapServers()).isEqualTo("localhost:" + brokerPort);
            Map<String, Object> common = Map.of("bootstrap.servers", broker.bootstrapServers());
            try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(common, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", "k", "after")).get();
            }
            assertThat(readAll(broker.bootstrapServers(), "kept", 4))
                .containsExactly("before-0", "before-1", "before-2", "after");
        }
        assertThat(Files.list(dir.resolve("log")).anyMatch(p -> p.getFileName().toString().startsWith("kept-")))
            .as("close() keeps a standalone broker's logs").isTrue();
    }

    private static List<String> readAll(String bootstrap, String topic, int expected) {
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrap);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                 new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
        }
        return values;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
