package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.embedded.EmbeddedKafkaBroker.SaslUser;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A prediction log that may not write its topic stops its stage, rather than dropping every prediction unseen. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PredictionLogAclIT {
    private static final SaslUser ADMIN = new SaslUser("admin", "admin-secret");
    private static final SaslUser SERVING = new SaslUser("serving", "serving-secret");
    private static final SaslUser NO_WRITE_AT_ALL = new SaslUser("reader", "reader-secret");
    private static final String TOPIC = "acl.predictions";

    private KafkaTestCluster cluster;

    @BeforeAll
    void start() {
        cluster = KafkaTestCluster.startSecured(ADMIN);
        cluster.createTopics(TOPIC, "acl.commands");
        cluster.broker().createUsers(List.of(SERVING, NO_WRITE_AT_ALL));
        // DESCRIBE is enough to start (the topic's metadata), not to write; serving's other topics it may write.
        cluster.broker().createAcls(List.of(
            allow(SERVING, TOPIC, AclOperation.DESCRIBE), allow(SERVING, "acl.commands", AclOperation.WRITE),
            allow(NO_WRITE_AT_ALL, TOPIC, AclOperation.DESCRIBE)));
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void withoutWriteOnTheTopicTheStageStopsNamingTheTopicAndTheAcl() {
        Liveness.Stopped stop = logOnePredictionAs(SERVING);
        assertThat(stop.toString()).startsWith("serving: prediction log stopped: Kafka refused user 'serving' "
                + "(SCRAM-SHA-256 over SASL_PLAINTEXT) access to topic 'acl.predictions' while writing predictions to "
                + "topic 'acl.predictions'")
            .contains("grant it WRITE on topic 'acl.predictions'");
    }

    @Test
    void withoutWriteOnAnyTopicTheStageStopsSayingWhatAnIdempotentProducerNeeds() {
        Liveness.Stopped stop = logOnePredictionAs(NO_WRITE_AT_ALL);
        assertThat(stop.toString()).startsWith("serving: prediction log stopped: Kafka refused user 'reader' "
                + "(SCRAM-SHA-256 over SASL_PLAINTEXT) access to the cluster while writing predictions to topic "
                + "'acl.predictions'")
            .contains("an idempotent producer needs WRITE on a topic, or IDEMPOTENT_WRITE on the cluster");
    }

    private Liveness.Stopped logOnePredictionAs(SaslUser user) {
        Liveness liveness = new Liveness("serving");
        Counters counters = new Counters();
        try (PredictionLog log = new PredictionLog(KafkaClients.from(cluster.componentConfig(user)), TOPIC,
                 "acl.serving-predictions", PredictionLog.Durability.ASYNC, 5, counters, liveness)) {
            log.append(List.of(LoggedPrediction.unanswered("r-1", "card-1", Map.of("amount", 12.5), true,
                "default", System.currentTimeMillis())));
            KafkaTestCluster.await("the prediction log's stage to stop", Duration.ofSeconds(60),
                () -> liveness.stopped().isPresent());
        }
        assertThat(counters.predictionLogFailures.sum()).isPositive();
        return liveness.stopped().orElseThrow();
    }

    private static AclBinding allow(SaslUser user, String topic, AclOperation operation) {
        return new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
            new AccessControlEntry(user.principal(), "*", operation, AclPermissionType.ALLOW));
    }
}
