package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
    private static final Map<String, Object> SECURED = Map.of(
        "bootstrap.servers", "kafka-1:9093",
        "topics.prefix", "shop.",
        "kafka.security.protocol", "SASL_SSL",
        "kafka.sasl.mechanism", "SCRAM-SHA-512",
        "kafka.consumer.fetch.max.wait.ms", "250",
        "kafka.producer.linger.ms", "7",
        "kafka.streams.cache.max.bytes.buffering", "0");

    @Test
    void passesTheClustersSecuritySettingsToEveryKindOfClient() {
        KafkaClients clients = KafkaClients.from(SECURED);
        Map<String, Object> consumer = clients.consumerProps("c", Map.of());
        Map<String, Object> producer = clients.producerProps("p", Map.of());
        Properties streams = clients.streamsProperties("shop.feature-store", Map.of());
        for (Map<Object, Object> props : List.of(Map.<Object, Object>copyOf(consumer), Map.<Object, Object>copyOf(producer),
            Map.copyOf(streams))) {
            assertThat(props).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("bootstrap.servers", "kafka-1:9093");
        }
    }

    @Test
    void aKindPrefixReachesOnlyThatKind() {
        KafkaClients clients = KafkaClients.from(SECURED);
        assertThat(clients.consumerProps("c", Map.of())).containsEntry("fetch.max.wait.ms", "250")
            .doesNotContainKey("linger.ms");
        assertThat(clients.producerProps("p", Map.of())).containsEntry("linger.ms", "7")
            .doesNotContainKey("fetch.max.wait.ms");
        assertThat(clients.streamsProperties("a", Map.of())).containsEntry("cache.max.bytes.buffering", "0")
            .containsEntry("consumer.fetch.max.wait.ms", "250").containsEntry("producer.linger.ms", "7");
    }

    @Test
    void passedThroughSettingsWinOverFreshetsTuningButNotOverItsGuarantees() {
        KafkaClients clients = KafkaClients.from(SECURED);
        Map<String, Object> producer = clients.producerProps("p", Map.of("linger.ms", 100, "enable.idempotence", false));
        assertThat(producer).containsEntry("linger.ms", "7").containsEntry("enable.idempotence", true)
            .containsEntry("acks", "all");
        assertThat(clients.consumerProps("c", Map.of("isolation.level", "read_uncommitted")))
            .containsEntry("isolation.level", "read_committed");
        assertThat(clients.streamsProperties("a", Map.of())).containsEntry("processing.guarantee", "exactly_once_v2")
            .containsEntry("application.id", "a");
    }

    @Test
    void aCommonSettingReachesOnlyTheClientsThatKnowIt() {
        KafkaClients clients = KafkaClients.from(Map.of("bootstrap.servers", "k:1", "kafka.max.poll.records", "10"));
        assertThat(clients.consumerProps("c", Map.of())).containsEntry("max.poll.records", "10");
        assertThat(clients.producerProps("p", Map.of())).doesNotContainKey("max.poll.records");
    }

    @Test
    void aRefusedSettingsValueIsNotEchoedSinceItMayBeASecret() {
        assertThatThrownBy(() -> KafkaClients.from(Map.of("bootstrap.servers", "k:1",
            "kafka.sasl.jaas.confg", "PlainLoginModule required password=\"hunter2\";")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.sasl.jaas.confg")
            .hasMessageContaining("did you mean 'kafka.sasl.jaas.config'?").hasMessageNotContaining("hunter2");
    }

    @Test
    void refusesAnUnknownSettingNamingTheNearestOne() {
        assertThatThrownBy(() -> KafkaClients.from(Map.of("bootstrap.servers", "k:1",
            "kafka.security.protocl", "SSL")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("kafka.security.protocl")
            .hasMessageContaining("did you mean 'kafka.security.protocol'?");
        assertThatThrownBy(() -> KafkaClients.validatePassThrough(Map.of("kafka.producer.fetch.max.wait.ms", "1")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("no Kafka client has a setting");
    }

    @Test
    void refusesASettingFreshetFixesSayingWhatToDoInstead() {
        assertThatThrownBy(() -> KafkaClients.validatePassThrough(Map.of("kafka.isolation.level", "read_uncommitted")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("Freshet sets 'isolation.level' itself");
        assertThatThrownBy(() -> KafkaClients.validatePassThrough(Map.of("kafka.bootstrap.servers", "x:1")))
            .hasMessageContaining("set bootstrap.servers (without the kafka. prefix)");
        assertThatThrownBy(() -> KafkaClients.validatePassThrough(Map.of("kafka.streams.state.dir", "/tmp")))
            .hasMessageContaining("featurestore.state.dir");
    }

    @Test
    void requiresACluster() {
        assertThatThrownBy(() -> KafkaClients.from(Map.of("topics.prefix", "x.")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
    }

    @Test
    void itsDescriptionNeverShowsAValue() {
        KafkaClients clients = KafkaClients.from(Map.of("bootstrap.servers", "k:1",
            "kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cret\";"));
        assertThat(clients.toString()).contains("sasl.jaas.config").doesNotContain("s3cret");
    }

    @Test
    void itsIdentityNamesTheUserAndMechanismButNeverThePassword() {
        KafkaClients clients = KafkaClients.from(Map.of("bootstrap.servers", "k:1",
            "kafka.security.protocol", "SASL_SSL", "kafka.sasl.mechanism", "SCRAM-SHA-512",
            "kafka.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username = \"freshet\" password=\"s3cret\";"));
        assertThat(clients.identity()).isEqualTo("user 'freshet' (SCRAM-SHA-512 over SASL_SSL)");
    }

    @Test
    void itsIdentityWithoutSaslSaysSo() {
        assertThat(KafkaClients.of("k:1").identity()).isEqualTo("no credentials (PLAINTEXT)");
        assertThat(KafkaClients.from(Map.of("bootstrap.servers", "k:1", "kafka.security.protocol", "SSL")).identity())
            .isEqualTo("its TLS client certificate, if any (SSL)");
        assertThat(KafkaClients.from(Map.of("bootstrap.servers", "k:1", "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "OAUTHBEARER")).identity())
            .isEqualTo("the user of kafka.sasl.jaas.config (OAUTHBEARER over SASL_SSL)");
    }

    @Test
    void aRefusalIsFoundAmongTheCausesAndNothingElseIs() {
        Exception wrapped = new IllegalStateException("start failed", new org.apache.kafka.common.KafkaException(
            "outer", new org.apache.kafka.common.errors.TopicAuthorizationException(java.util.Set.of("p.models"))));
        assertThat(KafkaAccessException.find(wrapped, "user 'u' (PLAIN over SASL_SSL)", "writing to 'p.models'"))
            .get().extracting(Throwable::getMessage).asString()
            .startsWith("Kafka refused user 'u' (PLAIN over SASL_SSL) access to topic 'p.models' while writing to "
                + "'p.models': ")
            .contains("grant it WRITE on topic 'p.models'");
        assertThat(KafkaAccessException.find(new org.apache.kafka.common.errors.TimeoutException("slow"), "u", null))
            .isEmpty();
    }
}
