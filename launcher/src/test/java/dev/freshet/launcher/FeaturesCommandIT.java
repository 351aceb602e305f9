package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code freshet features apply|list|describe} against a real registry topic. */
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
        CliRun first = features("apply", write("views.yaml", VIEWS).toString(), "--topics-prefix", "a.",
            "--applied-by", "alice");
        String changed = VIEWS.replace("{name: merchant_events_1h, function: count, window: 1h}",
            "{name: merchant_events_2h, function: count, window: 2h}");
        CliRun second = features("apply", write("views2.yaml", changed).toString(), "--topics-prefix", "a.",
            "--applied-by", "alice");

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("cards", "v1", "created").endsWith(
            "to a.feature-views: 2 created, 0 updated, 0 unchanged." + System.lineSeparator());
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.out()).containsPattern("merchants +v2 +updated \\(was v1\\), backfilling while v1 serves")
            .containsPattern("cards +v1 +unchanged");
        CliRun list = features("list", "--topics-prefix", "a.");
        assertThat(list.out()).containsPattern("cards +v1 +ACTIVE .* alice +.*views.yaml")
            .containsPattern("merchants +v2 +BACKFILLING .* alice +.*views2.yaml");
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
        features("apply", write("c.yaml", VIEWS).toString(), "--topics-prefix", "c.", "--applied-by", "bob");

        CliRun run = features("describe", "cards", "--topics-prefix", "c.");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("view cards v1 (ACTIVE)", "by bob", "features (2): amount, amount_sum_1h",
            "definition:", "  name: cards");
        assertThat(features("describe", "nope", "--topics-prefix", "c.").err())
            .contains("No feature view 'nope' is registered in c.feature-views; registered: [cards, merchants].");
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
