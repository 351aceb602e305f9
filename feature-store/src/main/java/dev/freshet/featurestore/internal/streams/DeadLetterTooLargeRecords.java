package dev.freshet.featurestore.internal.streams;

import java.util.List;
import java.util.Map;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.internal.view.RecordLimits;
import dev.freshet.proto.features.v1.DeadLetter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature store's production exception handler, the net behind the size checks made before a record is sent
 * ({@code featurestore.record.max.bytes}: an event over it is dead-lettered before parsing, an output over it is
 * replaced by a dead letter in {@link RoutedGuard}, and the producers and internal topics take twice it).
 *
 * <p>A record the producer or the broker refuses for itself (too large, invalid) can only have got past those checks
 * through a limit set below them: a topic's max.message.bytes or {@code kafka.producer.max.request.size}. Without a
 * transaction it becomes a RECORD_TOO_LARGE dead letter carrying a bounded prefix of the record it was made from, and
 * processing goes on. Under exactly-once (how the feature store always runs) it cannot: the Kafka 4.3 producer puts
 * its transaction in error on a refused send (KAFKA-15259), so no later record of the transaction, the dead letter
 * included, can be written. The stage then stops, with a log line naming the limits to align, and the feature store
 * reports it to its liveness. Retriable errors are retried; any other error stops the stage.
 *
 * <p>Kafka Streams creates it by class name and configures it with the application's settings, in which the
 * feature store puts its topic prefix and dead-letter bound.
 */
public final class DeadLetterTooLargeRecords implements ProductionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterTooLargeRecords.class);

    private String deadLetterTopic;
    private int rawMaxBytes;
    private boolean transactional;

    @Override
    public void configure(Map<String, ?> configs) {
        Object prefix = configs.get(CommonConfig.TOPICS_PREFIX_CONFIG);
        this.deadLetterTopic = new TopicLayout(prefix == null ? CommonConfig.TOPICS_PREFIX_DEFAULT : prefix.toString())
            .name(Topic.DEAD_LETTER);
        this.rawMaxBytes = RecordLimits.fromAppConfigs(configs).deadLetterRawMaxBytes();
        Object guarantee = configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        this.transactional = guarantee != null && !StreamsConfig.AT_LEAST_ONCE.equals(guarantee.toString());
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
            Exception exception) {
        if (exception instanceof RetriableException) {
            return Response.retry();
        }
        if (!(exception instanceof RecordTooLargeException || exception instanceof InvalidRecordException)) {
            return Response.fail();
        }
        if (transactional) {
            log.warn("The producer refused a {} record of {} bytes{} ({}); under exactly-once its transaction cannot "
                + "go on, so this application stops. Give every topic (and the broker's message.max.bytes) and "
                + "kafka.producer.max.request.size a limit of at least {} plus 64 KiB, or lower that key.",
                record.topic(), size(record.value()), context.topic() == null ? ""
                    : " derived from the record at " + context.topic() + "-" + context.partition() + " offset "
                    + context.offset(), exception.getMessage(), FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG);
            return Response.fail();
        }
        if (record.topic().equals(deadLetterTopic)) {
            // A dead letter that cannot be written has nowhere else to go; dropping it keeps the stage running.
            log.warn("Could not write a dead letter of {} bytes to {} ({}); it is dropped. Check the topic's "
                + "max.message.bytes against {}.", size(record.value()), deadLetterTopic, exception.getMessage(),
                FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG);
            return Response.resume();
        }
        byte[] source = context.sourceRawValue() != null ? context.sourceRawValue() : record.value();
        DeadLetter stub = DeadLetters.build(DeadLetter.Reason.RECORD_TOO_LARGE, "the " + record.topic()
                + " record of " + size(record.value()) + " bytes derived from this record could not be written ("
                + exception.getMessage() + "); raise " + FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG
                + " and the topics' max.message.bytes together, or send smaller records",
            "", "", nullToEmpty(context.topic()), context.partition(), context.offset(),
            RawValue.of(source, rawMaxBytes), System.currentTimeMillis());
        log.warn("Dead-lettered the record at {}-{} offset {} as RECORD_TOO_LARGE: its {} record of {} bytes was "
            + "refused ({}).", context.topic(), context.partition(), context.offset(), record.topic(),
            size(record.value()), exception.getMessage());
        byte[] key = context.sourceRawKey() != null ? context.sourceRawKey() : record.key();
        return Response.resume(List.of(new ProducerRecord<>(deadLetterTopic, null, key, stub.toByteArray())));
    }

    private static int size(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
