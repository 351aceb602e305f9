package dev.freshet.featurestore.internal.streams;

import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
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
}
