package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class TopicLayoutTest {
    @Test
    void namesEveryTopicUnderThePrefix() {
        TopicLayout layout = new TopicLayout("shop.");
        assertThat(layout.name(Topic.MODELS)).isEqualTo("shop.models");
        assertThat(layout.name(Topic.MODEL_SCHEMAS)).isEqualTo("shop.model-schemas");
        assertThat(layout.name(Topic.TRAINING_EXAMPLES)).isEqualTo("shop.training-examples");
        assertThat(layout.clientId("trainer")).isEqualTo("shop.trainer");
        Set<String> names = Arrays.stream(Topic.values()).map(layout::name).collect(Collectors.toSet());
        assertThat(names).hasSize(Topic.values().length).allMatch(name -> name.startsWith("shop."));
    }

    @Test
    void takesThePrefixFromAConfigurationOrItsDefault() {
        assertThat(TopicLayout.of(Map.of("topics.prefix", "a.")).name(Topic.EVENTS)).isEqualTo("a.events");
        assertThat(TopicLayout.of(Map.of()).name(Topic.EVENTS)).isEqualTo("freshet.events");
    }

    @Test
    void compactsTheTopicsThatHoldLatestStateAndLetsModelRecordsBeLarge() {
        assertThat(Topic.FEATURES.configs()).containsEntry("cleanup.policy", "compact");
        assertThat(Topic.FEATURE_VIEWS.configs()).containsEntry("cleanup.policy", "compact");
        assertThat(Topic.MODELS.configs()).containsEntry("cleanup.policy", "compact")
            .containsEntry("max.message.bytes", Integer.toString(KafkaClients.MODEL_RECORD_MAX_BYTES));
        // Without these the active 1 GiB segment keeps every replaced checkpoint and deleted version uncleaned.
        assertThat(Topic.MODELS.configs()).containsEntry("segment.bytes", Integer.toString(64 * 1024 * 1024))
            .containsEntry("segment.ms", "600000").containsEntry("max.compaction.lag.ms", "3600000")
            .containsEntry("delete.retention.ms", "3600000");
        assertThat(Topic.EVENTS.configs()).isEmpty();
        assertThat(Topic.PREDICTIONS.compacted()).isFalse();
    }
}
