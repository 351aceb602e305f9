package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.featurestore.FeatureStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code freshet features apply|list|describe|history} against a real registry topic, and {@code apply --target}
 * through a real feature store's gRPC port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FeaturesCommandIT {
    private static final String VIEWS = """
        views:
          - name: cards
            entity: entity_id
            event_time: event_time
            fields: [{name: amount, type: number}]
            aggregations: [{name: amount_sum_1h, function: sum, field: amount, window: 1h}]
          - name: merchants
            entity: merchant_id
            event_time: event_time
            aggregations: [{name: merchant_events_1h, function: count, window: 1h}]
        """;
    private static final String LOCAL_USER = "local:" + System.getProperty("user.name");
    private EmbeddedKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of("a.", "b.", "c.").stream()
                .map(prefix -> new NewTopic(prefix + "feature-views", 1, (short) 1)).toList()).all().get();
        }
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void applyRegistersEveryViewThenOnlyTheChangedOne() throws Exception {
        CliRun first = features("apply", write("views.yaml", VIEWS).toString(), "--topics-prefix", "a.");
        String changed = VIEWS.replace("{name: merchant_events_1h, function: count, window: 1h}",
            "{name: merchant_events_2h, function: count, window: 2h}");
        CliRun second = features("apply", write("views2.yaml", changed).toString(), "--topics-prefix", "a.");

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("cards", "v1", "created").endsWith("to a.feature-views: 2 created, 0 "
            + "updated, 0 unchanged, recorded as applied by '" + LOCAL_USER + "'." + System.lineSeparator());
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.out()).containsPattern("merchants +v2 +updated \\(was v1\\), backfilling while v1 serves")
            .containsPattern("cards +v1 +unchanged");
        CliRun list = features("list", "--topics-prefix", "a.");
        // Written straight to the topic of a cluster without SASL: the cluster knows no user, and the record says so.
        assertThat(list.out()).containsPattern("cards +v1 +ACTIVE .* " + LOCAL_USER + " +.*views.yaml")
            .containsPattern("merchants +v2 +BACKFILLING .* " + LOCAL_USER + " +.*views2.yaml");
        CliRun history = features("history", "--topics-prefix", "a.");
        assertThat(history.exitCode()).as(history.err()).isZero();
        assertThat(history.out().lines().skip(1).toList()).satisfiesExactly(
            l -> assertThat(l).containsPattern("cards +v1 +created, ACTIVE +" + LOCAL_USER + " +.*views.yaml"),
            l -> assertThat(l).containsPattern("merchants +v1 +created, ACTIVE +" + LOCAL_USER + " +.*views.yaml"),
            l -> assertThat(l).containsPattern("merchants +v2 +updated \\(was v1\\), BACKFILLING +" + LOCAL_USER
                + " +.*views2.yaml"));
        CliRun json = features("history", "merchants", "--json", "--topics-prefix", "a.");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()))
            .extracting(n -> n.get("version").asInt() + " " + n.get("applied_by").asText())
            .containsExactly("1 " + LOCAL_USER, "2 " + LOCAL_USER);
    }

    @Test
    void applyThroughAFeatureStoreWithATokenIsRecordedUnderItsIdentityAndWithoutOneIsRefused() throws Exception {
        String prefix = "g.";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of("events", "labels", "dead-letter", "features", "predictions",
                "training-examples", "feature-views").stream().map(t -> new NewTopic(prefix + t, 1, (short) 1))
                .toList()).all().get();
        }
        Path serverTokens = write("server-tokens", "dana:d4na-t0ken\n");
        Path clientToken = write("dana.token", "d4na-t0ken\n");
        Path views = write("g.yaml", VIEWS);
        try (FeatureStore store = FeatureStore.start(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "topics.prefix", prefix, "featurestore.grpc.port", 0, "featurestore.state.dir",
                dir.resolve("g-state").toString(), "featurestore.admin.token.file", serverTokens.toString()))) {
            String target = "localhost:" + store.grpcPort();

            CliRun anonymous = CliRun.of("features", "apply", views.toString(), "--target", target, "--sample", "0");
            CliRun wrong = CliRun.of("features", "apply", views.toString(), "--target", target, "--sample", "0",
                "--token", "guess");
            CliRun dana = CliRun.of("features", "apply", views.toString(), "--target", target, "--sample", "0",
                "--token-file", clientToken.toString());

            assertThat(anonymous.exitCode()).isNotZero();
            assertThat(anonymous.err()).contains("Registering through --target needs a credential: pass --token "
                + "TOKEN, --token-file FILE");
            assertThat(wrong.exitCode()).isNotZero();
            assertThat(wrong.err()).contains("the feature store at " + target + " refused (UNAUTHENTICATED): the "
                + "bearer token is not one this feature store accepts");
            assertThat(dana.exitCode()).as(dana.err()).isZero();
            assertThat(dana.out()).endsWith("Applied " + views + " through " + target + ": 2 created, 0 updated, 0 "
                + "unchanged, recorded as applied by 'dana'." + System.lineSeparator());
            CliRun history = features("history", "cards", "--topics-prefix", prefix);
            assertThat(history.out().lines().skip(1).toList()).singleElement().asString()
                .containsPattern("cards +v1 +created, ACTIVE +dana +.*g.yaml");
        }
    }

    @Test
    void applyRefusesABadFileWithEveryPathAndRegistersNothing() throws Exception {
        Path bad = write("bad.yaml", VIEWS.replace("type: number", "type: float").replace("window: 1h}]",
            "window: 1x}]"));

        CliRun run = features("apply", bad.toString(), "--topics-prefix", "b.");

        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains(bad + " is refused (4 problems); nothing was registered:",
            "  views[0].fields[0].type: 'float' is not one of number, string, boolean",
            "  views[0].aggregations[0].field: 'amount' is not a declared field; declare it under fields with type "
                + "number",
            "  views[0].aggregations[0].window: '1x' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d",
            "  views[1].aggregations[0].window: '1x' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
        assertThat(features("list", "--topics-prefix", "b.").out()).startsWith("No feature view is registered");
    }

    @Test
    void describeShowsVersionStateFeaturesAndDefinition() throws Exception {
        features("apply", write("c.yaml", VIEWS).toString(), "--topics-prefix", "c.");

        CliRun run = features("describe", "cards", "--topics-prefix", "c.");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("view cards v1 (ACTIVE)", "by " + LOCAL_USER, "features (2): amount, amount_sum_1h",
            "definition:", "  name: cards");
        assertThat(features("describe", "nope", "--topics-prefix", "c.").err())
            .contains("No feature view 'nope' is registered in c.feature-views; registered: [cards, merchants].");
    }

    @Test
    void dryRunSaysHowManyOfTheNewestEventsEachViewWouldDeadLetterAndWhy() throws Exception {
        produceEvents("d.", 10);

        CliRun run = features("apply", write("d.yaml", VIEWS).toString(), "--dry-run", "--topics-prefix", "d.");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("Sampled 21 events (the newest 1,000 of each partition of d.events):")
            .containsPattern("\\n  cards +would dead-letter 1 of 21 \\(4\\.8%\\)\\R"
                + "    MALFORMED_JSON +1, e\\.g\\. partition 1 offset 10: the value is not valid JSON \\(")
            .containsPattern("\\n  merchants +would dead-letter 21 of 21 \\(100\\.0%\\)\\R"
                + "    MALFORMED_JSON +1, e\\.g\\. partition 1 offset 10: .*\\R"
                + "    MISSING_FIELD +20, e\\.g\\. partition [01] offset 0: the event has no 'merchant_id' "
                + "\\(the entity id\\); add it to the event\\R");
        assertThat(run.err()).doesNotContain("warning");
        assertThat(features("list", "--topics-prefix", "d.").out()).startsWith("No feature view is registered");
    }

    @Test
    void theSampleIsBoundedPerPartition() throws Exception {
        produceEvents("e.", 10);

        CliRun run = features("apply", write("e.yaml", VIEWS).toString(), "--dry-run", "--sample", "2",
            "--topics-prefix", "e.");

        assertThat(run.exitCode()).as(run.err()).isZero();
        // The newest two of each partition: offsets 8 and 9 of partition 0, and 9 and the malformed 10 of partition 1.
        assertThat(run.out()).contains("Sampled 4 events (the newest 2 of each partition of e.events):")
            .containsPattern("\\n  cards +would dead-letter 1 of 4 \\(25\\.0%\\)\\R");
        assertThat(features("apply", write("e2.yaml", VIEWS).toString(), "--dry-run", "--sample", "100001",
            "--topics-prefix", "e.").err()).contains("--sample 100001 is out of range; give from 0 (no sample) to "
                + "100000 events per partition.");
    }

    @Test
    void applyWarnsOfAViewThatWouldDeadLetterMostEventsAndRegistersIt() throws Exception {
        produceEvents("f.", 10);

        CliRun run = features("apply", write("f.yaml", VIEWS).toString(), "--topics-prefix", "f.");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("Applied", "2 created");
        assertThat(run.err().lines().filter(l -> l.startsWith("warning:")).toList()).singleElement()
            .asString().startsWith("warning: view 'merchants' would dead-letter 21 of the 21 newest events of "
                + "f.events (100.0%): MALFORMED_JSON 1, e.g. partition 1 offset 10: the value is not valid JSON")
            .containsPattern("; MISSING_FIELD 20, e\\.g\\. partition [01] offset 0: the event has no 'merchant_id' "
                + "\\(the entity id\\); add it to the event; check its entity, event time and fields against the "
                + "events");
        assertThat(features("list", "--topics-prefix", "f.").out()).contains("cards", "merchants");
    }

    /**
     * {@code perPartition} valid card events on each of the two partitions of {@code <prefix>events}, none carrying
     * a merchant id, then one malformed event on partition 1.
     */
    private void produceEvents(String prefix, int perPartition) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(prefix + "feature-views", 1, (short) 1),
                new NewTopic(prefix + "events", 2, (short) 1))).all().get();
            TopicLayout.awaitWritable(admin, List.of(prefix + "events"), Duration.ofSeconds(30));
        }
        long t0 = System.currentTimeMillis() - 60_000;
        // As the test cluster's producer: order without idempotence, which a broker this new can fail (KAFKA-15591).
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "enable.idempotence", "false",
                "max.in.flight.requests.per.connection", "1"), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < perPartition; i++) {
                for (int partition = 0; partition < 2; partition++) {
                    String entity = "u-" + partition;
                    producer.send(new ProducerRecord<>(prefix + "events", partition, entity, String.format(Locale.ROOT,
                        "{\"entity_id\":\"%s\",\"event_time\":%d,\"amount\":%d}", entity, t0 + i * 1000, i)))
                        .get();
                }
            }
            producer.send(new ProducerRecord<>(prefix + "events", 1, "u-1", "{not json")).get();
        }
    }

    private CliRun features(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "features";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--bootstrap-servers";
        all[args.length + 2] = broker.bootstrapServers();
        return CliRun.of(all);
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }
}
