package dev.freshet.trainer.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.trainer.TrainerException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the trainer publishes in Kafka transactions: a version with its new schema, the acknowledgement of the
 * command that asked for it and the training offsets it covers, all visible together or not at all, so that a
 * version's checkpoint and the group's offsets always agree; and acknowledgements alone. A failed transaction is
 * aborted and reported (the caller's state is unchanged); being fenced by a newer trainer of the same model is
 * fatal. A commit that times out is retried, never aborted: the producer's contract allows nothing else (the
 * transaction may be committing on the broker, and an abort or a new transaction is refused until the commit's
 * outcome is known). Not thread-safe: the trainer's thread owns it.
 */
final class TransactionalPublisher {
    private static final Logger log = LoggerFactory.getLogger(TransactionalPublisher.class);

    private final TrainerKafka kafka;
    private final Producer<String, byte[]> producer;
    private final String modelName;
    private final boolean acksEnabled;
    private final BooleanSupplier running;

    /**
     * @param acksEnabled whether the acknowledgements topic exists; without it acknowledgements are only logged
     * @param running     false once the trainer is closing: a commit that timed out is then no longer retried
     */
    TransactionalPublisher(TrainerKafka kafka, String modelName, boolean acksEnabled, BooleanSupplier running) {
        this.kafka = kafka;
        this.producer = kafka.producer();
        this.modelName = modelName;
        this.acksEnabled = acksEnabled;
        this.running = running;
    }

    /**
     * Publishes a version (its new schema first, or none when {@code schema} is null), with the acknowledgement of
     * the command that asked for it (or null), and commits the training offsets it covers, in one transaction. The
     * same transaction publishes {@code stripped} (the previous checkpoint's version without it; or null) and
     * deletes the {@code expired} versions, so the registry holds one checkpoint and a bounded number of versions
     * whatever the moment a trainer stops.
     *
     * @return false if the transaction failed (logged)
     * @throws TrainerException if another trainer of the same model fenced this one
     */
    boolean publish(ModelVersion mv, ModelSchema schema, CommandAck ack, ModelVersion stripped,
                    List<Long> expired) {
        String key = RecordKeys.versionKey(mv.getModel(), mv.getVersion());
        try {
            producer.beginTransaction();
            // The schema first: a reader that has the version then has (or is about to read) its domains.
            if (schema != null) {
                producer.send(new ProducerRecord<>(kafka.schemasTopic, RecordKeys.schemaKey(schema.getModel(), schema.getSchemaId()),
                    schema.toByteArray()));
            }
            for (long version : expired) {
                producer.send(new ProducerRecord<>(kafka.modelsTopic, RecordKeys.versionKey(mv.getModel(), version),
                    null));
            }
            if (stripped != null) {
                producer.send(new ProducerRecord<>(kafka.modelsTopic,
                    RecordKeys.versionKey(stripped.getModel(), stripped.getVersion()), stripped.toByteArray()));
            }
            producer.send(new ProducerRecord<>(kafka.modelsTopic, key, mv.toByteArray()));
            if (ack != null && acksEnabled) {
                producer.send(new ProducerRecord<>(kafka.acksTopic, modelName, ack.toByteArray()));
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = offsetsOf(mv);
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, kafka.training().groupMetadata());
            }
            commit("model '" + mv.getModel() + "' v" + mv.getVersion());
            return true;
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            throw fenced(e);
        } catch (KafkaException e) {
            abortQuietly();
            // Retrying cannot fix a missing ACL: the stage stops and says which, instead of logging it forever.
            KafkaAccessException.find(e, kafka.identity(), "writing model '" + mv.getModel() + "' v"
                + mv.getVersion() + " to topic '" + kafka.modelsTopic + "'").ifPresent(refusal -> {
                    throw new TrainerException(refusal.getMessage(), refusal);
                });
            log.error("Could not publish model '{}' v{} to {}: {}; will try again with the next version.",
                mv.getModel(), mv.getVersion(), kafka.modelsTopic,
                String.valueOf(e.getCause() == null ? e : e.getCause()));
            return false;
        }
    }

    /**
     * Logs an acknowledgement and writes it in a transaction of its own; a failure is logged, never fatal.
     *
     * @throws TrainerException if another trainer of the same model fenced this one
     */
    void acknowledge(CommandAck ack) {
        log.info("Command '{}' ({}) for model '{}': {}, {}.", ack.getCommandId(), ack.getType(), modelName,
            ack.getOutcome(), ack.getDetail());
        if (!acksEnabled) {
            return;
        }
        try {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(kafka.acksTopic, modelName, ack.toByteArray()));
            commit("the acknowledgement of command '" + ack.getCommandId() + "'");
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            throw fenced(e);
        } catch (KafkaException e) {
            abortQuietly();
            log.error("Could not acknowledge command '{}' of model '{}' on {}: {}; it was applied all the same.",
                ack.getCommandId(), modelName, kafka.acksTopic,
                String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    /**
     * Commits, retrying for as long as the commit times out: its outcome is unknown until a retry returns, and
     * the caller must learn it, for a version committed but taken as failed would be published again under a new
     * number with the same examples. Each attempt waits at most the producer's {@code max.block.ms}.
     *
     * @throws TrainerException if the trainer closes while the outcome is still unknown (the next start's
     *     {@code initTransactions} settles it, and the registry then says which)
     */
    private void commit(String what) {
        int attempts = 0;
        while (true) {
            try {
                producer.commitTransaction();
                if (attempts > 0) {
                    log.info("Committed {} after {} timed-out attempts.", what, attempts);
                }
                return;
            } catch (TimeoutException e) {
                attempts++;
                if (!running.getAsBoolean()) {
                    throw new TrainerException("The trainer of model '" + modelName + "' closed while the commit of "
                        + what + " was still unanswered; the next start finds it in the registry or not.", e);
                }
                if (attempts == 1) {
                    log.warn("The commit of {} timed out ({}); retrying it until Kafka answers.",
                        what, e.getMessage());
                }
            }
        }
    }

    private TrainerException fenced(KafkaException e) {
        return new TrainerException("Another trainer for model '" + modelName + "' (same topics.prefix and "
            + "model name) took over; this one stops so that no example is learned twice.", e);
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            log.warn("Could not abort the publishing transaction of model '{}': {}", modelName, e.getMessage());
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> offsetsOf(ModelVersion mv) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = kafka.training().assignment();
        for (Map.Entry<Integer, Long> e : mv.getInputOffsetsMap().entrySet()) {
            TopicPartition tp = new TopicPartition(kafka.trainingTopic, e.getKey());
            if (assigned.contains(tp)) {
                offsets.put(tp, new OffsetAndMetadata(e.getValue(), "model version " + mv.getVersion()));
            }
        }
        return offsets;
    }
}
