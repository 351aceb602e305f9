package dev.freshet.trainer.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.CommandAck;
import dev.freshet.trainer.TrainerException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reads a trainer makes at startup, besides the registry and the commands its loop reads to their ends: the
 * acknowledgements so far, the examples just before the checkpoint (to refill the retrain window) and the position
 * of the training consumer. Runs on the trainer's thread; stops early when {@code running} turns false.
 */
final class TrainerStartup {
    private static final Logger log = LoggerFactory.getLogger(TrainerStartup.class);
    static final Duration POLL = Duration.ofMillis(100);
    static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

    private final TrainerKafka kafka;
    private final LearningSession session;
    private final BooleanSupplier running;

    TrainerStartup(TrainerKafka kafka, LearningSession session, BooleanSupplier running) {
        this.kafka = kafka;
        this.session = session;
        this.running = running;
    }

    /**
     * Polls a consumer until it has read every partition assigned to it to the end it had when called.
     *
     * @throws TrainerException if that takes longer than {@link #CATCH_UP_TIMEOUT}
     */
    void readToEnd(KafkaConsumer<String, byte[]> consumer, Runnable poll) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), TrainerKafka.KAFKA_TIMEOUT);
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        while (running.getAsBoolean() && !caughtUp(consumer, ends)) {
            if (System.nanoTime() > deadline) {
                throw new TrainerException("Could not read " + ends.keySet() + " to its end within "
                    + CATCH_UP_TIMEOUT + "; check the Kafka cluster.");
            }
            poll.run();
        }
    }

    private static boolean caughtUp(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            if (consumer.position(end.getKey(), TrainerKafka.KAFKA_TIMEOUT) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** The acknowledgements of this model's commands so far, by command id. */
    Map<String, CommandAck> readAcknowledgements() {
        Map<String, CommandAck> acks = new HashMap<>();
        try (KafkaConsumer<String, byte[]> reader = kafka.newReader()) {
            TrainerKafka.assignFromBeginning(reader, kafka.acksTopic);
            readToEnd(reader, () -> {
                for (ConsumerRecord<String, byte[]> record : reader.poll(POLL)) {
                    if (record.value() == null || !session.modelName().equals(record.key())) {
                        continue;
                    }
                    try {
                        CommandAck ack = CommandAck.parseFrom(record.value());
                        acks.put(ack.getCommandId(), ack);
                    } catch (InvalidProtocolBufferException e) {
                        log.warn("Ignored an unreadable acknowledgement on {} partition {} offset {}.",
                            kafka.acksTopic, record.partition(), record.offset());
                    }
                }
            });
        }
        return acks;
    }

    /**
     * Positions the training consumer where the learning state stands: the checkpoint's offsets (which the same
     * transaction also committed for the group), else the group's committed offsets (a registry from before
     * checkpoints), else the beginning. Partitions are assigned, not subscribed: a restarted trainer then need not
     * wait for the group to expire its killed predecessor, and the transactional id already fences zombies.
     */
    void positionTraining() {
        KafkaConsumer<String, byte[]> training = kafka.training();
        Map<Integer, Long> checkpoint = session.nextOffsets();
        Set<TopicPartition> partitions = training.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = training.committed(partitions, TrainerKafka.KAFKA_TIMEOUT);
        for (TopicPartition tp : partitions) {
            Long next = checkpoint.get(tp.partition());
            OffsetAndMetadata groupOffset = committed.get(tp);
            if (next != null) {
                training.seek(tp, next);
            } else if (groupOffset != null) {
                training.seek(tp, groupOffset.offset());
            } else {
                training.seekToBeginning(List.of(tp));
            }
        }
    }

    /**
     * Re-reads the examples just before the checkpoint's offsets (at most the retrain window per partition) into
     * the retrain window, so that a RETRAIN after a restart has the same examples to learn from as before it. They
     * are not learned again: the restored state already has them.
     */
    void refillRetrainWindow() {
        Map<Integer, Long> offsets = session.nextOffsets();
        Map<TopicPartition, Long> until = new HashMap<>();
        for (TopicPartition tp : kafka.training().assignment()) {
            Long next = offsets.get(tp.partition());
            if (next != null && next > 0) {
                until.put(tp, next);
            }
        }
        if (until.isEmpty()) {
            return;
        }
        long window = session.retrainWindowCapacity();
        try (KafkaConsumer<String, byte[]> reader = kafka.newReader()) {
            reader.assign(until.keySet());
            Map<TopicPartition, Long> begin = reader.beginningOffsets(until.keySet(), TrainerKafka.KAFKA_TIMEOUT);
            until.forEach((tp, next) -> reader.seek(tp, Math.max(begin.get(tp), next - window)));
            long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
            while (running.getAsBoolean() && until.entrySet().stream()
                    .anyMatch(e -> reader.position(e.getKey(), TrainerKafka.KAFKA_TIMEOUT) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    log.warn("Could not refill the retrain window of model '{}' from {} within {}; a RETRAIN learns "
                        + "from the {} examples read so far.", session.modelName(), kafka.trainingTopic,
                        CATCH_UP_TIMEOUT, session.retainedExamples());
                    return;
                }
                rememberUntil(reader.poll(POLL), until);
            }
        }
        log.info("Refilled the retrain window of model '{}' with {} examples read before the checkpoint.",
            session.modelName(), session.retainedExamples());
    }

    private void rememberUntil(Iterable<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, Long> until) {
        for (ConsumerRecord<String, byte[]> record : records) {
            Long next = until.get(new TopicPartition(record.topic(), record.partition()));
            if (record.value() == null || next == null || record.offset() >= next) {
                continue;
            }
            try {
                session.remember(TrainingExample.parseFrom(record.value()));
            } catch (InvalidProtocolBufferException e) {
                // Counted when it was first read; nothing to retrain from.
            }
        }
    }
}
