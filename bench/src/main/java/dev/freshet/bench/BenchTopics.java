package dev.freshet.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates the topics a benchmark's components read and write, as the platform lays them out (names and settings
 * from {@link TopicLayout} and {@link Topic}), with one partition each on the benchmark's single broker. Only the
 * topics a benchmark needs: a component that finds an optional topic absent (the feature-view registry) runs as it
 * did when the figures were taken.
 */
final class BenchTopics {
    private static final Duration WRITABLE_TIMEOUT = Duration.ofSeconds(30);

    private BenchTopics() {
    }

    static void create(KafkaClients clients, TopicLayout layout, Topic... topics)
            throws InterruptedException, ExecutionException {
        try (Admin admin = clients.admin()) {
            admin.createTopics(Arrays.stream(topics)
                .map(topic -> new NewTopic(layout.name(topic), 1, (short) 1).configs(topic.configs())).toList())
                .all().get();
            TopicLayout.awaitWritable(admin, Arrays.stream(topics).map(layout::name).toList(), WRITABLE_TIMEOUT);
        }
    }

    /** Creates a topic of the benchmark's own, outside the platform's layout. */
    static void createOwn(KafkaClients clients, String name) throws InterruptedException, ExecutionException {
        try (Admin admin = clients.admin()) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
            TopicLayout.awaitWritable(admin, List.of(name), WRITABLE_TIMEOUT);
        }
    }
}
