package dev.freshet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.freshet.embedded.EmbeddedKafkaBroker.SaslUser;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A secured embedded broker authenticates with SCRAM and authorizes with ACLs, as a secured cluster does. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredBrokerTest {
    private static final SaslUser ADMIN = new SaslUser("admin", "admin-secret");
    private static final SaslUser ALICE = new SaslUser("alice", "alice-secret");
    private static final SaslUser BOB = new SaslUser("bob", "bob-secret");

    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void start() throws Exception {
        broker = EmbeddedKafkaBroker.startSecured(ADMIN);
        try (Admin admin = Admin.create(withBootstrap(broker.superUserSettings()))) {
            admin.createTopics(List.of(new NewTopic("granted", 1, (short) 1), new NewTopic("closed", 1, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);
        }
        broker.createUsers(List.of(ALICE, BOB));
        broker.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "granted", PatternType.LITERAL),
            new AccessControlEntry(ALICE.principal(), "*", AclOperation.WRITE, AclPermissionType.ALLOW))));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    @Test
    void aUserWritesWhereAnAclAllowsIt() throws Exception {
        try (KafkaProducer<String, String> producer = producer(EmbeddedKafkaBroker.clientSettings(ALICE))) {
            assertThat(producer.send(new ProducerRecord<>("granted", "k", "v")).get(30, TimeUnit.SECONDS).offset())
                .isZero();
        }
    }

    @Test
    void aUserWithoutAnAclIsRefused() {
        try (KafkaProducer<String, String> producer = producer(EmbeddedKafkaBroker.clientSettings(BOB))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("closed", "k", "v")).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordFailsAuthentication() {
        Map<String, Object> props = withBootstrap(EmbeddedKafkaBroker.clientSettings(new SaslUser("alice", "wrong")));
        try (Admin admin = Admin.create(props)) {
            assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void noCredentialsNoConnection() {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "request.timeout.ms", 2000, "default.api.timeout.ms", 3000))) {
            assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
        }
    }

    @Test
    void aStandaloneBrokerSecuredWithTheExampleUsersFileKeepsItsUsersAcrossARestart(@TempDir Path dir)
            throws Exception {
        List<SaslUser> users = EmbeddedKafkaBroker.readUsers(Path.of("..", "examples", "kafka-sasl-users.txt"));
        assertThat(users).extracting(SaslUser::name).containsExactly("admin", "freshet");
        int brokerPort = freePort();
        int controllerPort = freePort();
        try (EmbeddedKafkaBroker standalone = EmbeddedKafkaBroker.startStandalone(dir, brokerPort, controllerPort,
                users.get(0))) {
            standalone.createUsers(users.subList(1, users.size()));
        }
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.startStandalone(dir, brokerPort, controllerPort,
                users.get(0));
             Admin asFreshet = Admin.create(Map.of("bootstrap.servers", again.bootstrapServers(),
                 "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256",
                 "sasl.jaas.config", EmbeddedKafkaBroker.clientSettings(users.get(1)).get("sasl.jaas.config")))) {
            assertThat(asFreshet.describeCluster().clusterId().get(30, TimeUnit.SECONDS)).isNotBlank();
        }
    }

    @Test
    void aUsersFileLineWithoutAPasswordIsRefusedNamingTheLineNotItsText(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("users.txt"), "# users\nadmin:admin-secret\nbob secret\n");
        assertThatThrownBy(() -> EmbeddedKafkaBroker.readUsers(file))
            .hasMessage("--sasl-users " + file + " line 3: expected name:password");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private KafkaProducer<String, String> producer(Map<String, String> settings) {
        Map<String, Object> props = withBootstrap(settings);
        props.put("delivery.timeout.ms", 20_000);
        props.put("request.timeout.ms", 10_000);
        props.put("max.block.ms", 20_000);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private Map<String, Object> withBootstrap(Map<String, String> settings) {
        Map<String, Object> props = new HashMap<>(settings);
        props.put("bootstrap.servers", broker.bootstrapServers());
        return props;
    }
}
