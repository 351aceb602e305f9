package dev.freshet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaBrokerTest {

    @Test
    void deliversWhatIsProducedAndCleansUpOnClose() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            Map<String, Object> common = Map.of("bootstrap.servers", broker.bootstrapServers());
            try (Admin admin = Admin.create(common)) {
                admin.createTopics(List.of(new NewTopic("greetings", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(common, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("greetings", "k", "hello")).get();
            }
            Map<String, Object> consumerProps = Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "group.id", "t", "auto.offset.reset", "earliest");
            try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(Set.of("greetings"));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                String seen = null;
                while (seen == null && System.nanoTime() < deadline) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                    for (var r : records) {
                        seen = r.value();
                    }
                }
                assertThat(seen).isEqualTo("hello");
            }
        }
    }
}
