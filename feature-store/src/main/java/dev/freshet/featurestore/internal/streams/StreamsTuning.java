package dev.freshet.featurestore.internal.streams;

import java.util.Properties;

import dev.freshet.contracts.CommonConfig;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Client settings for the feature store's Kafka Streams application, chosen by measurement
 * ({@code bench/run IngestionBench}): small events (a few hundred bytes) and many outputs per input make the
 * clients' defaults, sized for one batch of 16 KiB and 1,000 records per poll, the bottleneck long before the
 * processing is.
 */
public final class StreamsTuning {
    private StreamsTuning() {
    }

    /** Adds the settings to {@code props}, leaving any the caller already set. */
    public static void apply(Properties props) {
        // Fewer, larger polls: each poll costs the stream thread a trip through the network client.
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 5_000);
        props.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
            8 * 1024 * 1024);
        // Larger batches: every event writes a feature vector and a changelog record, and an exactly-once commit
        // waits for all of them to be acknowledged.
        props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 512 * 1024);
        props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    }

    /** Room for a record's key, headers and batch framing. */
    static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

    /**
     * Aligns the size limits of the producers, consumers and internal topics with {@code recordMaxBytes}, leaving
     * any the caller set, and installs the handler for a record refused all the same. Twice the limit: a record on
     * a repartition or changelog topic carries an input of up to the limit, parsed, beside a prefix of its raw
     * bytes, and a refused send would stop the application (an exactly-once transaction cannot go on after one). The
     * handler reads the topic prefix, put here, and the {@code featurestore.*} limits ({@code RecordLimits.KEYS},
     * which the caller puts) from the same properties.
     */
    public static void boundRecords(Properties props, int recordMaxBytes, String topicsPrefix) {
        int limit = 2 * recordMaxBytes + RECORD_OVERHEAD_BYTES;
        props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), limit);
        props.putIfAbsent(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), limit);
        Object fetch = props.get(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG));
        if (fetch == null || Long.parseLong(fetch.toString()) < limit) {
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), limit);
        }
        props.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
            DeadLetterTooLargeRecords.class.getName());
        props.put(CommonConfig.TOPICS_PREFIX_CONFIG, topicsPrefix);
    }
}
