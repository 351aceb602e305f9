package dev.freshet.contracts;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Kafka refused Freshet's credentials (authentication) or rights (ACLs). Neither is fixed by retrying: a start-up
 * check that meets one fails at once with this, and a stage that meets one stops with its message, which says as
 * whom, what was refused and which key or ACL to check, on one line. Never holds a password.
 */
public final class KafkaAccessException extends KafkaException {
    private static final long serialVersionUID = 1L;

    private KafkaAccessException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The refusal among {@code failure} and its causes, as one line; empty when Kafka refused neither credentials nor
     * rights.
     *
     * @param identity as whom the client connected, from {@link KafkaClients#identity()}
     * @param doing    what was being done, e.g. {@code "writing to topic 'freshet.predictions'"}; null when unknown
     */
    public static Optional<KafkaAccessException> find(Throwable failure, String identity, String doing) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof KafkaAccessException access) {
                return Optional.of(access);
            }
            if (cause instanceof AuthenticationException auth) {
                return Optional.of(new KafkaAccessException(authentication(auth, identity), auth));
            }
            if (cause instanceof AuthorizationException authz) {
                return Optional.of(new KafkaAccessException(authorization(authz, identity, doing), authz));
            }
        }
        return Optional.empty();
    }

    private static String authentication(AuthenticationException e, String identity) {
        String check = e instanceof SslAuthenticationException
            ? "check kafka.ssl.truststore.* (and kafka.ssl.keystore.* when the cluster asks for client certificates)"
            : "check the username and password in kafka.sasl.jaas.config, and kafka.sasl.mechanism";
        return "authentication to Kafka failed as " + identity + ": " + e.getMessage() + "; " + check;
    }

    private static String authorization(AuthorizationException e, String identity, String doing) {
        String what;
        String acl;
        if (e instanceof TopicAuthorizationException topics && !topics.unauthorizedTopics().isEmpty()) {
            Set<String> names = new TreeSet<>(topics.unauthorizedTopics());
            what = (names.size() == 1 ? "topic '" + names.iterator().next() + "'" : "topics " + names);
            acl = doing != null && doing.startsWith("writing") ? "WRITE" : doing != null && doing.startsWith("reading")
                ? "READ and DESCRIBE" : "READ, WRITE and DESCRIBE as the loop needs";
            acl = acl + " on " + what;
        } else if (e instanceof GroupAuthorizationException group && group.groupId() != null) {
            what = "consumer group '" + group.groupId() + "'";
            acl = "READ and DESCRIBE on " + what;
        } else if (e instanceof TransactionalIdAuthorizationException) {
            what = "its transactional id";
            acl = "WRITE and DESCRIBE on the loop's transactional ids";
        } else if (e instanceof ClusterAuthorizationException) {
            // What a client is refused on the cluster is, in practice, an idempotent producer's id.
            what = "the cluster";
            acl = "WRITE on the topics it writes (an idempotent producer needs WRITE on a topic, or IDEMPOTENT_WRITE "
                + "on the cluster)";
        } else {
            what = "a resource";
            acl = "the loop's ACLs";
        }
        return "Kafka refused " + identity + " access to " + what + (doing == null ? "" : " while " + doing) + ": "
            + e.getMessage() + "; grant it " + acl + " (README \"Kafka security\" lists every ACL a loop needs)";
    }
}
