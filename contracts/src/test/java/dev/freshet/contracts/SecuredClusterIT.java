package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.freshet.embedded.EmbeddedKafkaBroker.SaslUser;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The kernel on a secured cluster: a principal with {@link TopicLayout#acls} creates and writes a loop's topics,
 * and a refused password or a missing ACL fails at once with a line naming the user and what to grant or check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredClusterIT {
    private static final SaslUser ADMIN = new SaslUser("admin", "admin-secret");
    private static final SaslUser LOOP = new SaslUser("loop", "loop-secret");
    private static final SaslUser STRANGER = new SaslUser("stranger", "stranger-secret");

    private KafkaTestCluster cluster;

    @BeforeAll
    void start() {
        cluster = KafkaTestCluster.startSecured(ADMIN);
        cluster.broker().createUsers(List.of(LOOP, STRANGER));
        cluster.broker().createAcls(new TopicLayout("granted.").acls(LOOP.principal()));
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void thePrincipalWithTheLoopsAclsCreatesAndWritesItsTopics() throws Exception {
        TopicLayout layout = new TopicLayout("granted.");
        KafkaClients clients = KafkaClients.from(cluster.componentConfig(LOOP));
        try (Admin admin = clients.admin()) {
            layout.ensureTopics(admin, Optional.empty(), Optional.empty());
        }
        try (KafkaProducer<String, String> producer = clients.transactionalProducer(layout.clientId("it"), Map.of(),
                 new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(layout.name(Topic.EVENTS), "k", "{}"));
            producer.commitTransaction();
        }
        assertThat(cluster.consumeUntil(layout.name(Topic.EVENTS), seen -> !seen.isEmpty(), Duration.ofSeconds(60)))
            .hasSize(1);
    }

    @Test
    void aWrongPasswordIsRefusedAtOnceNamingTheUserAndTheKey() {
        KafkaClients clients = KafkaClients.from(cluster.componentConfig(new SaslUser("loop", "wrong")));
        assertThat(clients.identity()).isEqualTo("user 'loop' (SCRAM-SHA-256 over SASL_PLAINTEXT)");
        assertThatThrownBy(() -> clients.checkCredentials(Duration.ofSeconds(60)))
            .isInstanceOf(KafkaAccessException.class)
            .hasMessageStartingWith("authentication to Kafka failed as user 'loop' (SCRAM-SHA-256 over "
                + "SASL_PLAINTEXT): ")
            .hasMessageEndingWith("; check the username and password in kafka.sasl.jaas.config, and "
                + "kafka.sasl.mechanism")
            .hasMessageNotContaining("wrong");
    }

    @Test
    void theRightPasswordPassesTheCheck() {
        KafkaClients.from(cluster.componentConfig(LOOP)).checkCredentials(Duration.ofSeconds(60));
    }

    @Test
    void aPrincipalWithoutAclsIsToldThatKafkaRefusedItRatherThanThatPartitionsAreSlow() {
        TopicLayout layout = new TopicLayout("stranger.");
        KafkaClients clients = KafkaClients.from(cluster.componentConfig(STRANGER));
        try (Admin admin = clients.admin()) {
            assertThatThrownBy(() -> layout.ensureTopics(admin, Optional.empty(), Optional.empty()))
                .isInstanceOf(KafkaException.class)
                .hasMessageStartingWith("Kafka refused to list or create Freshet's topics with prefix 'stranger.'")
                .satisfies(e -> assertThat(KafkaAccessException.find(e, clients.identity(), "creating topics"))
                    .get().extracting(Throwable::getMessage).asString()
                    .startsWith("Kafka refused user 'stranger' (SCRAM-SHA-256 over SASL_PLAINTEXT) access to ")
                    .contains("while creating topics"));
        }
    }
}
