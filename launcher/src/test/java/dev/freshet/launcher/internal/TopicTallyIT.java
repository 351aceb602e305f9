package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The demo's tally reads a registry with retention: tombstones, and versions written again without checkpoints. */
class TopicTallyIT {
    private static final String MODELS = "tally.models";
    private static final String DEAD = "tally.dead-letter";

    private static ModelVersion version(long v, long parent, long publishedAtMs) {
        return ModelVersion.newBuilder().setModel("m").setVersion(v).setParentVersion(parent)
            .setPublishedAtMs(publishedAtMs).build();
    }

    @Test
    void skipsTombstonesAndTellsARepublishedVersionFromASecondClaim() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
            try (Admin admin = clients.admin()) {
                admin.createTopics(List.of(new NewTopic(MODELS, 1, (short) 1), new NewTopic(DEAD, 1, (short) 1)))
                    .all().get();
            }
            try (KafkaProducer<String, byte[]> producer = clients.idempotentProducer(null, Map.of(),
                    new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(MODELS, "m/1", version(1, 0, 10).toByteArray())).get();
                producer.send(new ProducerRecord<>(MODELS, "m/2", version(2, 1, 20).toByteArray())).get();
                // v1 again as the trainer writes it without its checkpoint, then deleted; v2 claimed by another.
                producer.send(new ProducerRecord<>(MODELS, "m/1", version(1, 0, 10).toByteArray())).get();
                producer.send(new ProducerRecord<>(MODELS, "m/1", (byte[]) null)).get();
                producer.send(new ProducerRecord<>(MODELS, "m/2", version(2, 1, 25).toByteArray())).get();
                producer.send(new ProducerRecord<>(MODELS, "m/3", version(3, 2, 30).toByteArray())).get();
            }
            try (TopicTally tally = new TopicTally(clients, MODELS, DEAD, "m")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (tally.highestVersion() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(tally.versions()).extracting(ModelVersion::getVersion).containsExactly(1L, 2L, 3L);
                assertThat(tally.claimedTwice(1)).as("the same claim read twice").isFalse();
                assertThat(tally.claimedTwice(2)).as("a second publication under v2").isTrue();
            }
        }
    }
}
