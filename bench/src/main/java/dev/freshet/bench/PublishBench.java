package dev.freshet.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.trainer.testing.PublishCost;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;

/**
 * What publishing one model version costs at 100k features and 2 labels, before (the whole Tribuo model and the
 * full checkpoint in every version) and after (the packed form: the domains in a schema published once, only the
 * numbers per version), both measured in this run: the time to build and serialize a version as the trainer does
 * before sending it, its size, and the time to read it back into a Tribuo model as serving does.
 *
 * <p>Usage: {@code bench/run PublishBench [FEATURES [PER_EXAMPLE]]} (defaults 100000 and 50).
 */
public final class PublishBench {
    private static final String PREFIX = "bench.";
    private static final String MODEL = "bench";
    /** A topic with the broker's default max.message.bytes, for contrast with the models topics. */
    private static final String DEFAULT_LIMIT_TOPIC = "bench.default-limit";
    private static final int PACKED_ROUNDS = 5;
    private static final int EXAMPLES_BETWEEN = 200;

    private PublishBench() {
    }

    public static void main(String[] args) throws Exception {
        int features = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int perExample = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int examples = 2 * features / perExample;
        BenchReport report = new BenchReport("PublishBench", args);

        PublishCost packed = new PublishCost(true, features, examples, perExample);
        PublishCost whole = new PublishCost(false, features, examples, perExample);
        System.out.printf("Both learners know %d features after %d examples.%n", packed.numFeatures(), examples);

        // The first version of each: the same learning state, so both must predict alike.
        PublishCost.Published packedFirst = packed.publish(1);
        PublishCost.Published wholeFirst = whole.publish(1);
        String agreement = agreement(whole.read(wholeFirst.version()), packed.read(packedFirst.version()), features);
        System.out.printf("First versions: whole %.0f ms, packed %.0f ms (schema %d bytes).%n",
            wholeFirst.nanos() / 1e6, packedFirst.nanos() / 1e6, packedFirst.schema().length);

        whole.learn(EXAMPLES_BETWEEN, features, perExample);
        PublishCost.Published wholeWarm = whole.publish(2);
        long wholeRead = time(() -> whole.read(wholeWarm.version()));
        System.out.printf("Whole version (warm): %.0f ms, %d bytes; read %.0f ms.%n", wholeWarm.nanos() / 1e6,
            wholeWarm.version().length, wholeRead / 1e6);

        List<Long> publishNanos = new ArrayList<>();
        List<Long> readNanos = new ArrayList<>();
        PublishCost.Published last = packedFirst;
        for (int round = 0; round < PACKED_ROUNDS; round++) {
            packed.learn(EXAMPLES_BETWEEN, features, perExample);
            PublishCost.Published p = packed.publish(3 + round);
            if (p.schema() != null) {
                throw new IllegalStateException("no feature appeared, yet a new schema was published");
            }
            publishNanos.add(p.nanos());
            PublishCost.Published version = p;
            readNanos.add(time(() -> packed.read(version.version())));
            last = p;
        }
        long packedPublish = median(publishNanos);
        long packedRead = median(readNanos);

        report.line("Publishing one model version with %,d features and 2 labels (AdaGrad, the trainer's "
            + "LearningSession.prepareVersion plus serialization, as before a send), both forms in one run.",
            packed.numFeatures());
        report.line("");
        report.line("| form | publish (build + serialize) | message | read back into a Tribuo model |");
        report.line("|---|---|---|---|");
        report.line("| before: whole Tribuo model + full checkpoint, first (cold) | %s | %s | |",
            ms(wholeFirst.nanos()), mb(wholeFirst.version().length));
        report.line("| before: whole Tribuo model + full checkpoint, warm | %s | %s | %s |", ms(wholeWarm.nanos()),
            mb(wholeWarm.version().length), ms(wholeRead));
        report.line("| after: first packed version, with its schema | %s | %s + schema %s | |",
            ms(packedFirst.nanos()), mb(packedFirst.version().length), mb(packedFirst.schema().length));
        report.line("| after: packed version, schema unchanged (median of %d) | %s | %s | %s |", PACKED_ROUNDS,
            ms(packedPublish), mb(last.version().length), ms(packedRead));
        report.line("");
        report.line("Ratios (before warm / after): publish time %.0fx faster, message %.1fx smaller, read %.1fx "
                + "faster. The first versions of both predict alike: %s.",
            (double) wholeWarm.nanos() / packedPublish, (double) wholeWarm.version().length / last.version().length,
            (double) wholeRead / packedRead, agreement);
        report.line("");
        throughKafka(report, wholeWarm, packedFirst, last);
        report.line("");
        report.line("A packed version is still larger than Kafka's default 1 MB message limit (the checkpoint "
            + "alone needs some 72 bytes per feature with 2 labels and AdaGrad): the launcher creates the models "
            + "and model-schemas topics with max.message.bytes = 64 MB, and the trainer's producer sends up to "
            + "max.request.size = 64 MB.");
        System.out.println("Wrote " + report.write());
    }

    /**
     * Sends the versions as the trainer does (a transaction, schema first) to an embedded broker: to topics created as
     * the launcher creates them (max.message.bytes 64 MB) and, for contrast, to one with the broker's default limit.
     */
    private static void throughKafka(BenchReport report, PublishCost.Published whole, PublishCost.Published first,
                                     PublishCost.Published packed) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
            TopicLayout topics = new TopicLayout(PREFIX);
            BenchTopics.create(clients, topics, Topic.MODELS, Topic.MODEL_SCHEMAS);
            BenchTopics.createOwn(clients, DEFAULT_LIMIT_TOPIC);
            Map<String, Object> tuning = Map.of(ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, KafkaClients.MODEL_RECORD_MAX_BYTES);
            try (KafkaProducer<String, byte[]> producer = clients.transactionalProducer(topics.clientId("publish-bench"),
                     tuning, new StringSerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
                String models = topics.name(Topic.MODELS);
                String schemas = topics.name(Topic.MODEL_SCHEMAS);
                long firstNanos = send(producer, models, schemas, first.version(), first.schema());
                List<Long> packedNanos = new ArrayList<>();
                for (int i = 0; i < PACKED_ROUNDS; i++) {
                    packedNanos.add(send(producer, models, schemas, packed.version(), null));
                }
                long wholeNanos = send(producer, models, schemas, whole.version(), null);
                String wholeDefault = rejection(producer, whole.version());
                String packedDefault = rejection(producer, packed.version());
                report.line("Through Kafka (embedded broker in this JVM; one transaction per version, as the trainer "
                    + "sends it; the time from beginTransaction to a completed commit):");
                report.line("");
                report.line("| what | time |");
                report.line("|---|---|");
                report.line("| before: whole version (%s) | %s |", mb(whole.version().length), ms(wholeNanos));
                report.line("| after: first packed version with its schema (%s + %s) | %s |",
                    mb(first.version().length), mb(first.schema().length), ms(firstNanos));
                report.line("| after: packed version (%s), median of %d | %s |", mb(packed.version().length),
                    PACKED_ROUNDS, ms(median(packedNanos)));
                report.line("");
                report.line("To a topic with the broker's default max.message.bytes: the whole version %s; the "
                    + "packed version %s.", wholeDefault, packedDefault);
            }
        }
    }

    private static long send(KafkaProducer<String, byte[]> producer, String topic, String schemasTopic, byte[] version,
                             byte[] schema) {
        long start = System.nanoTime();
        producer.beginTransaction();
        if (schema != null) {
            producer.send(new ProducerRecord<>(schemasTopic, RecordKeys.schemaKey(MODEL, "schema"), schema));
        }
        producer.send(new ProducerRecord<>(topic, RecordKeys.versionKey(MODEL, 1), version));
        producer.commitTransaction();
        return System.nanoTime() - start;
    }

    private static String rejection(KafkaProducer<String, byte[]> producer, byte[] version) throws Exception {
        producer.beginTransaction();
        try {
            producer.send(new ProducerRecord<>(DEFAULT_LIMIT_TOPIC, RecordKeys.versionKey(MODEL, 1), version)).get();
            producer.commitTransaction();
            return "was accepted";
        } catch (ExecutionException e) {
            producer.abortTransaction();
            return "was refused (" + e.getCause().getClass().getSimpleName() + ")";
        }
    }

    private static String agreement(Model<?> whole, Model<?> packed, int features) {
        @SuppressWarnings("unchecked")
        Model<Label> a = (Model<Label>) whole;
        @SuppressWarnings("unchecked")
        Model<Label> b = (Model<Label>) packed;
        int same = 0;
        int total = 200;
        for (int i = 0; i < total; i++) {
            String[] names = {"tok=" + (i * 37 % features), "tok=" + (i * 101 % features), "amount"};
            double[] values = {1.0, 1.0, i % 10};
            var pa = a.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, names, values)).getOutput();
            var pb = b.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, names, values)).getOutput();
            if (pa.getLabel().equals(pb.getLabel()) && pa.getScore() == pb.getScore()) {
                same++;
            }
        }
        return same + " of " + total + " probe predictions identical (label and probability)";
    }

    private interface Timed {
        Object run() throws Exception;
    }

    private static long time(Timed timed) throws Exception {
        long start = System.nanoTime();
        timed.run();
        return System.nanoTime() - start;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%,.1f ms", nanos / 1e6);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }
}
