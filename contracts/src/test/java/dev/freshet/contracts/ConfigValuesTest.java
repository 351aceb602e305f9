package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValuesTest {
    private static final Map<String, String> ENVIRONMENT = Map.of("FRESHET_TEST_TOKEN", "from-the-environment");

    @TempDir
    Path dir;

    @Test
    void replacesAnEnvironmentReferenceByTheVariable() {
        assertThat(ConfigValues.resolve(Map.of("serving.admin.token", "${env:FRESHET_TEST_TOKEN}"),
            ENVIRONMENT::get)).containsEntry("serving.admin.token", "from-the-environment");
    }

    @Test
    void replacesAFileReferenceByTheFileWithoutItsTrailingLineBreak() throws Exception {
        Path jaas = Files.writeString(dir.resolve("jaas"), "org.apache.kafka.common.security.plain.PlainLoginModule "
            + "required username=\"freshet\" password=\"pw\";\n");
        Path crlf = Files.writeString(dir.resolve("crlf"), "line one\nline two\r\n");

        Map<String, Object> resolved = ConfigValues.resolve(Map.of("kafka.sasl.jaas.config",
            "${file:" + jaas + "}", "monitor.http.token", " ${file:" + crlf + "} "), ENVIRONMENT::get);

        assertThat(resolved).containsEntry("kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain."
            + "PlainLoginModule required username=\"freshet\" password=\"pw\";")
            .containsEntry("monitor.http.token", "line one\nline two");
    }

    @Test
    void leavesOtherValuesAndKafkasOwnProviderReferencesAlone() {
        Map<String, Object> given = Map.of("serving.port", 50051, "topics.prefix", "a${env:X}b",
            "kafka.ssl.key.password", "${file:/etc/kafka/secrets.properties:keyPassword}",
            "serving.model.name", "default");

        assertThat(ConfigValues.resolve(given, ENVIRONMENT::get)).isEqualTo(given);
    }

    @Test
    void aMissingVariableIsAnErrorNamingTheKeyAndTheVariable() {
        assertThatThrownBy(() -> ConfigValues.resolve(Map.of("serving.admin.token", "${env:FRESHET_NOT_SET}"),
            ENVIRONMENT::get)).isInstanceOf(ConfigException.class)
            .hasMessageContaining("'serving.admin.token'").hasMessageContaining("FRESHET_NOT_SET is not set");
    }

    @Test
    void anUnreadableFileIsAnErrorNamingTheKeyAndTheFile() {
        Path missing = dir.resolve("no-such-token");
        assertThatThrownBy(() -> ConfigValues.resolve(Map.of("kafka.sasl.jaas.config", "${file:" + missing + "}"),
            ENVIRONMENT::get)).isInstanceOf(ConfigException.class)
            .hasMessageContaining("'kafka.sasl.jaas.config'").hasMessageContaining(missing.toString())
            .hasMessageContaining("cannot be read");
    }

    @Test
    void kafkasOwnConfigProvidersPassThroughAndResolveInTheClients() throws Exception {
        Path secrets = Files.writeString(dir.resolve("kafka.properties"), "jaas=PlainLoginModule required;\n");
        KafkaClients clients = KafkaClients.from(Map.of("bootstrap.servers", "localhost:9092",
            "kafka.config.providers", "file",
            "kafka.config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider",
            "kafka.sasl.jaas.config", "${file:" + secrets + ":jaas}"));
        Map<String, Object> props = new java.util.HashMap<>(clients.consumerProps("test", Map.of()));
        props.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class);
        props.put("value.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class);

        assertThat(new org.apache.kafka.clients.consumer.ConsumerConfig(props).getPassword("sasl.jaas.config")
            .value()).isEqualTo("PlainLoginModule required;");
    }

    @Test
    void kafkaClientsGetTheResolvedValue() throws Exception {
        Path password = Files.writeString(dir.resolve("truststore-password"), "changeit\n");
        KafkaClients clients = KafkaClients.from(Map.of("bootstrap.servers", "localhost:9092",
            "kafka.ssl.truststore.password", "${file:" + password + "}"));

        assertThat(clients.consumerProps("test", Map.of())).containsEntry("ssl.truststore.password", "changeit");
    }
}
