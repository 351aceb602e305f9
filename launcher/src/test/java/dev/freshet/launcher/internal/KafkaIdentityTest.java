package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** What a change written straight to a topic is recorded as: the principal the cluster authenticates. */
class KafkaIdentityTest {
    @Test
    void aScramUserIsNamedFromTheJaasConfigAndItsPasswordIsNot() {
        String identity = KafkaIdentity.of(Map.of("kafka.security.protocol", "SASL_SSL",
            "kafka.sasl.mechanism", "SCRAM-SHA-512", "kafka.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"svc-features\" "
                + "password=\"s3cret\";"));

        assertThat(identity).isEqualTo("kafka:svc-features");
    }

    @Test
    void aKerberosPrincipalAndAnUnquotedUserAreNamedToo() {
        assertThat(KafkaIdentity.of(Map.of("kafka.security.protocol", "SASL_PLAINTEXT", "kafka.sasl.jaas.config",
            "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true principal=\"ops@EXAMPLE.COM\";")))
            .isEqualTo("kafka:ops@EXAMPLE.COM");
        assertThat(KafkaIdentity.of(Map.of("kafka.sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=bob password=x;")))
            .isEqualTo("kafka:bob");
    }

    @Test
    void withoutSaslTheRecordSaysTheOsUserAndThatItIsLocal() {
        assertThat(KafkaIdentity.of(Map.of("bootstrap.servers", "localhost:9092")))
            .isEqualTo("local:" + System.getProperty("user.name"));
        assertThat(KafkaIdentity.of(Map.of("kafka.security.protocol", "SASL_SSL", "kafka.sasl.mechanism",
            "OAUTHBEARER"))).isEqualTo("kafka:unnamed OAUTHBEARER user (not named in kafka.sasl.jaas.config)");
    }
}
