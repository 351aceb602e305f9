package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;

import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedKafkaExtension.class)
class TopicLayoutIT {
    /**
     * The producer writes the moment the topics exist, with several requests in flight: the shape that lost
     * IngestionBench's first batches (KAFKA-15591) when a partition's leader had not opened its log yet.
     */
    @Test
    void everyRecordSentRightAfterCreationArrives(KafkaTestCluster cluster) throws Exception {
        TopicLayout layout = new TopicLayout(KafkaTestCluster.uniquePrefix());
        KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
        int partitions = 4;
        int records = 20_000;
        try (Admin admin = clients.admin()) {
            layout.ensureTopics(admin, Optional.of(partitions), Optional.empty());
        }
        String topic = layout.name(Topic.EVENTS);
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try (KafkaProducer<String, String> producer = clients.idempotentProducer(layout.clientId("it"),
                 Map.of(ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.BATCH_SIZE_CONFIG, 512),
                 new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < records; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, "entity-" + (i % 97), "{\"n\":" + i + "}")));
            }
            producer.flush();
        }
        for (Future<RecordMetadata> send : sends) {
            send.get();
        }
        long onTopic = 0;
        try (Admin admin = clients.admin()) {
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            for (var end : admin.listOffsets(ends).all().get().values()) {
                onTopic += end.offset();
            }
        }
        assertThat(onTopic).isEqualTo(records);
    }
}
