package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.trainer.testing.PublishedVersions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The registry stays bounded: every publication deletes the versions that left the retained window and takes the
 * checkpoint off the version before it, in the same transaction; a restarted trainer still resumes exactly from
 * the newest checkpoint. Compaction is not guaranteed within a test, so the records written are what is checked.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class RegistryRetentionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String MODEL = "fraud";
    private static final int RETAINED = 3;
    private static final int PUBLISH_EVERY = 50;

    private static String createTopics(KafkaTestCluster cluster) throws Exception {
        String prefix = KafkaTestCluster.uniquePrefix();
        // As the launcher creates them: the models topic with its compaction settings, and the schemas topic.
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            new TopicLayout(prefix).ensureTopics(admin, Optional.of(1), Optional.empty());
        }
        return prefix;
    }

    private static Map<String, Object> config(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.model.name", MODEL);
        props.put("trainer.publish.every.examples", Integer.toString(PUBLISH_EVERY));
        props.put("trainer.publish.interval.ms", "600000");
        props.put("trainer.registry.retained.versions", Integer.toString(RETAINED));
        return props;
    }

    private static void produceExamples(KafkaTestCluster cluster, String prefix, int from, int to) {
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < to; i++) {
            double amount = (i * 37 % 100) / 10.0;
            TrainingExample example = TrainingExample.newBuilder()
                .setRequestId("r-" + i).setEntityId("u-" + (i % 10))
                .putFeatures("amount", amount).putFeatures("channel=" + (i % 3 == 0 ? "web" : "app"), 1.0)
                .setLabel(amount > 5 ? "1" : "0").setLabelArrivedAtMs(1_000_000L + i)
                .build();
            records.add(Map.entry(("u-" + (i % 10)).getBytes(StandardCharsets.UTF_8), example.toByteArray()));
        }
        cluster.produceBytes(prefix + "training-examples", records);
    }

    /** Every record on the models topic, in order, until version {@code newest} and its transaction are in. */
    private static List<ConsumerRecord<byte[], byte[]>> recordsUntil(KafkaTestCluster cluster, String prefix,
                                                                     long newest) {
        return cluster.consumeUntil(prefix + "models", seen -> PublishedVersions.firstRecords(seen).stream()
            .anyMatch(v -> v.getVersion() == newest), TIMEOUT);
    }

    private static long versionOf(ConsumerRecord<byte[], byte[]> record) {
        String key = new String(record.key(), StandardCharsets.UTF_8);
        return Long.parseLong(key.substring(key.indexOf('/') + 1));
    }

    /** What compaction will keep: the last record of each key (null for a tombstone), by version. */
    private static Map<Long, ModelVersion> latestPerVersion(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<Long, ModelVersion> latest = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            latest.put(versionOf(record), record.value() == null ? null : PublishedVersions.parse(record.value()));
        }
        return latest;
    }

    private static List<Long> tombstones(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().filter(r -> r.value() == null).map(RegistryRetentionIT::versionOf).toList();
    }

    @Test
    void deletesVersionsBeyondTheRetainedWindowAndKeepsTheCheckpointOnTheNewestOnly(KafkaTestCluster cluster)
            throws Exception {
        String prefix = createTopics(cluster);
        produceExamples(cluster, prefix, 0, 8 * PUBLISH_EVERY);
        List<ConsumerRecord<byte[], byte[]>> records;
        try (Trainer trainer = Trainer.start(config(cluster, prefix))) {
            records = recordsUntil(cluster, prefix, 8);
        }

        // v4..v8 pushed v1..v5 out of a window of three, one tombstone each.
        assertThat(tombstones(records)).containsExactly(1L, 2L, 3L, 4L, 5L);
        Map<Long, ModelVersion> kept = latestPerVersion(records);
        assertThat(kept.keySet()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(kept.get(1L)).isNull();
        assertThat(kept.get(5L)).isNull();
        assertThat(kept.get(6L).hasLearnerState()).as("v6 after v7 took the checkpoint").isFalse();
        assertThat(kept.get(7L).hasLearnerState()).as("v7 after v8 took the checkpoint").isFalse();
        assertThat(kept.get(8L).hasLearnerState()).as("the newest version carries the checkpoint").isTrue();
        // The copy without the checkpoint is the same version otherwise: serving and rollbacks load its model.
        ModelVersion firstV7 = PublishedVersions.firstRecords(records).get(6);
        assertThat(firstV7.hasLearnerState()).isTrue();
        assertThat(kept.get(7L)).isEqualTo(firstV7.toBuilder().clearLearnerState().build());
        assertThat(kept.get(7L).getWeightsCount()).isPositive();
    }

    @Test
    void aRestartedTrainerResumesFromTheNewestCheckpointAndKeepsDeleting(KafkaTestCluster cluster)
            throws Exception {
        String prefix = createTopics(cluster);
        produceExamples(cluster, prefix, 0, 6 * PUBLISH_EVERY);
        try (Trainer trainer = Trainer.start(config(cluster, prefix))) {
            recordsUntil(cluster, prefix, 6);
        }

        produceExamples(cluster, prefix, 6 * PUBLISH_EVERY, 8 * PUBLISH_EVERY);
        List<ConsumerRecord<byte[], byte[]>> records;
        long learnedAfterRestart;
        try (Trainer trainer = Trainer.start(config(cluster, prefix))) {
            records = recordsUntil(cluster, prefix, 8);
            KafkaTestCluster.await("the restarted trainer counted its examples", TIMEOUT,
                () -> trainer.stats().examplesSeen() >= 2 * PUBLISH_EVERY);
            learnedAfterRestart = trainer.stats().examplesSeen();
        }

        assertThat(learnedAfterRestart).as("examples learned after the restart, from v6's checkpoint")
            .isEqualTo(2 * PUBLISH_EVERY);
        List<ModelVersion> versions = PublishedVersions.firstRecords(records);
        assertThat(versions).extracting(ModelVersion::getVersion).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(versions).extracting(ModelVersion::getExamplesSeen)
            .containsExactly(50L, 100L, 150L, 200L, 250L, 300L, 350L, 400L);
        assertThat(versions.get(6).getParentVersion()).isEqualTo(6L);
        assertThat(versions.get(7).getLearnerState().getExamplesLearned()).isEqualTo(8L * PUBLISH_EVERY);
        assertThat(tombstones(records)).containsExactly(1L, 2L, 3L, 4L, 5L);
        Map<Long, ModelVersion> kept = latestPerVersion(records);
        assertThat(kept.get(6L).hasLearnerState()).as("v6's checkpoint, taken off by the restarted trainer")
            .isFalse();
        assertThat(kept.get(8L).hasLearnerState()).isTrue();
    }
}
