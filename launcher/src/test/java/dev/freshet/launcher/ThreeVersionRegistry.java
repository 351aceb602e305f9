package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.trainer.Trainer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A registry for the {@code freshet models} tests: a real trainer publishes three versions of model "default" (a
 * channel feature appears half-way), then (unless only the versions are asked for) v3 is rolled back to v2.
 */
final class ThreeVersionRegistry {
    private ThreeVersionRegistry() {
    }

    /** @param extraTopics topics besides training-examples, models and commands (e.g. model-schemas) */
    static void publish(EmbeddedKafkaBroker broker, String prefix, String... extraTopics) throws Exception {
        publishVersions(broker, prefix, extraTopics);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                 Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                 new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(prefix + "commands", "default", Command.newBuilder()
                .setCommandId("c-1").setType(Command.Type.ROLLBACK).setModel("default").setTargetVersion(3)
                .setRestoreVersion(2).setReason("test").build().toByteArray())).get();
        }
    }

    /** The three versions only, none rolled back. */
    static void publishVersions(EmbeddedKafkaBroker broker, String prefix, String... extraTopics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(Stream.concat(Stream.of("training-examples", "models", "commands"),
                    Stream.of(extraTopics))
                .map(s -> new NewTopic(prefix + s, 1, (short) 1)).toList()).all().get();
        }
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.publish.every.examples", 100);
        props.put("trainer.publish.interval.ms", 600_000L);
        try (Trainer trainer = Trainer.start(props);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                 Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                 new ByteArraySerializer())) {
            Random random = new Random(1);
            for (int i = 0; i < 300; i++) {
                double amount = 100 + 30 * random.nextGaussian();
                boolean web = i >= 150 && random.nextBoolean();
                TrainingExample.Builder example = TrainingExample.newBuilder().setRequestId("r-" + i)
                    .putFeatures("amount", amount).setLabel(amount + (web ? 40 : 0) > 110 ? "1" : "0");
                if (web) {
                    example.putFeatures("channel=web", 1.0);
                }
                producer.send(new ProducerRecord<>(prefix + "training-examples", "u", example.build().toByteArray()));
            }
            producer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (trainer.stats().versionsPublished() < 3) {
                assertThat(System.nanoTime()).as("three versions published within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
    }
}
