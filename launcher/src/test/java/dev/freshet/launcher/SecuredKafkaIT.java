package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.embedded.EmbeddedKafkaBroker.SaslUser;
import dev.freshet.launcher.internal.LauncherException;
import dev.freshet.launcher.internal.Platform;
import dev.freshet.proto.features.v1.TrainingExample;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Freshet on a secured cluster: the embedded broker with SASL/SCRAM and ACLs, credentials given only as
 * {@code kafka.*} settings of the documented example file, and the principal granted only the ACLs
 * {@code freshet acls} prints. The loop runs and the CLI verbs work; a wrong password, or an ACL missing, stops
 * what needs it with one line that says what to fix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredKafkaIT {
    private static final Path EXAMPLES = Path.of("..", "examples");
    private static final Path CONFIG = EXAMPLES.resolve("kafka-sasl.properties");
    private static final Path ADMIN_CONFIG = EXAMPLES.resolve("kafka-sasl-admin.properties");
    private static final Path USERS = EXAMPLES.resolve("kafka-sasl-users.txt");
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String DEMO_PREFIX = "freshet-demo-";
    private static final SaslUser LIMITED = new SaslUser("limited", "limited-secret");

    private EmbeddedKafkaBroker broker;
    private SaslUser admin;
    private SaslUser freshet;

    @TempDir
    Path dir;

    @BeforeAll
    void startSecuredBroker() {
        List<SaslUser> users = readUsers();
        admin = users.get(0);
        freshet = users.get(1);
        broker = EmbeddedKafkaBroker.startSecured(admin);
        broker.createUsers(List.of(freshet, LIMITED));
        for (String prefix : List.of(DEMO_PREFIX, "sec.")) {
            CliRun grant = CliRun.of("acls", "--principal", "User:" + freshet.name(), "--topics-prefix", prefix,
                "--create", "--config", ADMIN_CONFIG.toString(), "--bootstrap-servers", broker.bootstrapServers());
            assertThat(grant.exitCode()).as(grant.err()).isZero();
            assertThat(grant.out()).contains("Created 9 ACLs for User:freshet");
        }
        List<AclBinding> limited = new ArrayList<>(new TopicLayout("limited-").acls(LIMITED.principal()));
        for (String topic : List.of("limited-t.models", "limited-fs.features")) {
            limited.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry(LIMITED.principal(), "*", AclOperation.WRITE, AclPermissionType.DENY)));
        }
        limited.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "limited-m.training-examples",
            PatternType.LITERAL),
            new AccessControlEntry(LIMITED.principal(), "*", AclOperation.READ, AclPermissionType.DENY)));
        broker.createAcls(limited);
    }

    @AfterAll
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** The example users file is the one README's secured demo starts the broker with. */
    private static List<SaslUser> readUsers() {
        try {
            return Files.readAllLines(USERS).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .map(l -> new SaslUser(l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 1))).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theAclsArePrintedAsKafkaAclsLines() {
        CliRun print = CliRun.of("acls", "--principal", "User:freshet");
        assertThat(print.exitCode()).as(print.err()).isZero();
        assertThat(print.out().lines()).containsExactly(
            "kafka-acls.sh --bootstrap-server HOST:PORT --command-config admin.properties --add --allow-principal "
                + "User:freshet --operation Create --operation Describe --operation DescribeConfigs --operation Read "
                + "--operation Write --topic 'freshet.' --resource-pattern-type prefixed",
            "kafka-acls.sh --bootstrap-server HOST:PORT --command-config admin.properties --add --allow-principal "
                + "User:freshet --operation Read --operation Describe --group 'freshet.' --resource-pattern-type "
                + "prefixed",
            "kafka-acls.sh --bootstrap-server HOST:PORT --command-config admin.properties --add --allow-principal "
                + "User:freshet --operation Write --operation Describe --transactional-id 'freshet.' "
                + "--resource-pattern-type prefixed");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void theWholeLoopAndTheVerbsRunWithTheExampleConfigAndTheLoopsAclsOnly() throws Exception {
        Path summaryFile = dir.resolve("summary.json");
        CliRun demo = CliRun.of("demo", "--bootstrap-servers", broker.bootstrapServers(), "--config", CONFIG.toString(),
            "--duration", "20s", "--events-per-second", "100", "--summary-json", summaryFile.toString());
        assertThat(demo.exitCode()).as("demo; screen:%n%s%s", demo.out(), demo.err()).isZero();
        JsonNode summary = new ObjectMapper().readTree(summaryFile.toFile());
        JsonNode events = summary.get("events");
        assertThat(events.get("ingested").asLong()).isEqualTo(events.get("produced").asLong()).isPositive();
        assertThat(summary.get("models").get("versions_published").asInt()).isPositive();
        assertThat(summary.get("predictions").get("served").asLong()).isPositive();
        assertThat(demo.out()).containsPattern("Kafka confirmed ([\\d,]+) of the \\1 events and labels");
        Matcher prefixMatch = Pattern.compile("topics '(" + Pattern.quote(DEMO_PREFIX) + "[0-9]+\\.)\\*'")
            .matcher(demo.out());
        assertThat(prefixMatch.find()).as(demo.out()).isTrue();
        String prefix = prefixMatch.group(1);

        CliRun models = verb("models", "list", "--topics-prefix", prefix);
        assertThat(models.out()).contains("v1");
        Path report = dir.resolve("report.html");
        verb("report", "--topics-prefix", prefix, "--html", report.toString());
        assertThat(report).isNotEmptyFile();
        verb("actions", "--topics-prefix", prefix);
        CliRun apply = verb("features", "apply", EXAMPLES.resolve("transactions.yaml").toString(),
            "--topics-prefix", prefix);
        assertThat(apply.out()).contains("transactions");
        assertThat(verb("features", "list", "--topics-prefix", prefix).out()).contains("transactions");
        Path csv = Files.writeString(dir.resolve("history.csv"),
            "entity_id,event_time,amount\ncard-1,2026-01-01T00:00:00Z,12.5\ncard-2,2026-01-01T00:00:01Z,99\n");
        CliRun replay = verb("replay", csv.toString(), "--topics-prefix", prefix, "--time-column", "event_time",
            "--entity", "entity_id");
        assertThat(replay.out()).containsPattern("(?s)Kafka confirmed 2 of (the )?2");
    }

    /** Runs a verb with the example config against the secured broker and checks it succeeded. */
    private CliRun verb(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--config", CONFIG.toString(), "--bootstrap-servers", broker.bootstrapServers()));
        CliRun run = CliRun.of(all.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s:%n%s%s", all, run.out(), run.err()).isZero();
        return run;
    }

    @Test
    void aWrongPasswordEndsRunAtStartWithExitCodeTwoAndOneLine() throws IOException {
        Path wrong = wrongPasswordConfig();
        CliRun run = CliRun.of("run", "--config", wrong.toString(), "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", "sec.", "--components", "trainer");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).doesNotContain("\tat ").doesNotContain("not-the-password");
        assertThat(run.err().lines().filter(l -> l.startsWith("freshet:"))).singleElement().satisfies(line ->
            assertThat(line).startsWith("freshet: authentication to Kafka failed as user 'freshet' "
                    + "(SCRAM-SHA-256 over SASL_PLAINTEXT): ")
                .endsWith("; check the username and password in kafka.sasl.jaas.config, and kafka.sasl.mechanism"));
    }

    @Test
    void aVerbWithAWrongPasswordEndsWithExitCodeTwoAndOneLine() throws IOException {
        Path wrong = wrongPasswordConfig();
        for (List<String> verb : List.of(List.of("models", "list"), List.of("actions"),
                List.of("features", "list"))) {
            List<String> args = new ArrayList<>(verb);
            args.addAll(List.of("--config", wrong.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                "--topics-prefix", "sec."));
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertThat(run.exitCode()).as("%s: %s", verb, run.err()).isEqualTo(2);
            assertThat(run.err()).as("%s", verb).doesNotContain("\tat ").doesNotContain("not-the-password")
                .startsWith("freshet: authentication to Kafka failed as user 'freshet' (SCRAM-SHA-256 over "
                    + "SASL_PLAINTEXT): ");
            assertThat(run.err().lines()).as("%s: %s", verb, run.err()).hasSize(1);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void eachComponentRefusesAWrongPasswordAtStartWithOneLine() throws IOException {
        try (Admin superAdmin = Admin.create(superUser())) {
            new TopicLayout("sec.").ensureTopics(superAdmin, Optional.empty(), Optional.empty());
        }
        Map<String, Object> props = keyValues(wrongPasswordConfig());
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("topics.prefix", "sec.");
        props.put("featurestore.view.file", EXAMPLES.resolve("transactions.yaml").toAbsolutePath().toString());
        props.put("featurestore.state.dir", dir.resolve("fs").toString());
        props.put("serving.state.dir", dir.resolve("serving").toString());
        props.put("serving.port", "0");
        props.put("monitor.http.port", "-1");
        SoftAssertions each = new SoftAssertions();
        for (Platform.Component component : Platform.Component.values()) {
            each.assertThatThrownBy(() -> Platform.start(props, EnumSet.of(component)).close())
                .as(component.cliName()).isInstanceOf(LauncherException.class)
                .hasMessageStartingWith(component.cliName() + ": authentication to Kafka failed as user 'freshet' "
                    + "(SCRAM-SHA-256 over SASL_PLAINTEXT)")
                .hasMessageContaining("check the username and password in kafka.sasl.jaas.config")
                .hasMessageNotContaining("not-the-password");
        }
        each.assertAll();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aTrainerThatMayNotWriteTheModelsTopicStopsRunWithExitCodeOneNamingTheTopic() throws Exception {
        String prefix = "limited-t.";
        RunOutcome outcome = runUntilItEnds(prefix, List.of("--components", "trainer",
            "-D", "trainer.publish.every.examples=50"), () -> produceTrainingExamples(prefix + "training-examples"));
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(1);
        assertThat(outcome.stopLine()).startsWith("freshet: trainer: ")
            .contains("Kafka refused user 'limited' (SCRAM-SHA-256 over SASL_PLAINTEXT) access to topic "
                + "'limited-t.models'")
            .contains("grant it WRITE on topic 'limited-t.models'");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aFeatureStoreThatMayNotWriteTheFeaturesTopicStopsRunWithExitCodeOneNamingTheTopic() throws Exception {
        String prefix = "limited-fs.";
        RunOutcome outcome = runUntilItEnds(prefix, List.of("--components", "feature-store",
            "-D", "featurestore.view.file=" + EXAMPLES.resolve("transactions.yaml").toAbsolutePath(),
            "-D", "featurestore.state.dir=" + dir.resolve("limited-fs")), () -> produceEvents(prefix + "events"));
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(1);
        assertThat(outcome.stopLine()).startsWith("freshet: feature-store: ")
            .contains("Kafka refused user 'limited' (SCRAM-SHA-256 over SASL_PLAINTEXT) access to topic "
                + "'limited-fs.features'")
            .contains("WRITE on topic 'limited-fs.features'");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aMonitorThatMayNotReadTheExamplesStopsRunWithExitCodeOneNamingTheTopic() throws Exception {
        RunOutcome outcome = runUntilItEnds("limited-m.", List.of("--components", "monitor",
            "-D", "monitor.http.port=-1"), () -> { });
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(1);
        assertThat(outcome.stopLine()).startsWith("freshet: monitor: ")
            .contains("Kafka refused user 'limited' (SCRAM-SHA-256 over SASL_PLAINTEXT) access to topic "
                + "'limited-m.training-examples'")
            .doesNotContain("unexpected");
    }

    private record RunOutcome(int exitCode, String err) {
        String stopLine() {
            List<String> lines = err.lines().filter(l -> l.startsWith("freshet:")).toList();
            assertThat(lines).as(err).hasSize(1);
            return lines.get(0);
        }
    }

    /** Runs {@code freshet run} as the limited principal, feeds it once it runs, and waits for it to end. */
    private RunOutcome runUntilItEnds(String prefix, List<String> more, ThrowingRunnable feed) throws Exception {
        Path config = Files.writeString(dir.resolve(prefix + "properties"), Files.readString(CONFIG)
            .replace("username=\"" + freshet.name() + "\" password=\"" + freshet.password() + "\"",
                "username=\"" + LIMITED.name() + "\" password=\"" + LIMITED.password() + "\""));
        List<String> args = new ArrayList<>(List.of("run", "--config", config.toString(), "--bootstrap-servers",
            broker.bootstrapServers(), "--topics-prefix", prefix));
        args.addAll(more);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() ->
                Freshet.execute(args.toArray(String[]::new)));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!text(err).contains("Running [") && !run.isDone()) {
                assertThat(System.nanoTime()).as("freshet run starts; %s", text(err)).isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(run).as(text(err)).isNotDone();
            feed.run();
            return new RunOutcome(run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), text(err));
        } finally {
            System.setErr(originalErr);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void produceTrainingExamples(String topic) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(superUser(), new StringSerializer(),
                 new ByteArraySerializer())) {
            Random random = new Random(1);
            for (int i = 0; i < 200; i++) {
                double amount = 100 + 30 * random.nextGaussian();
                producer.send(new ProducerRecord<>(topic, "u", TrainingExample.newBuilder().setRequestId("r-" + i)
                    .putFeatures("amount", amount).setLabel(amount > 110 ? "1" : "0").build().toByteArray()));
            }
            producer.flush();
        }
    }

    private void produceEvents(String topic) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(superUser(), new StringSerializer(),
                 new StringSerializer())) {
            long now = System.currentTimeMillis();
            for (int i = 0; i < 20; i++) {
                String entity = "card-" + (i % 4);
                producer.send(new ProducerRecord<>(topic, entity, "{\"event_id\":\"e" + i + "\",\"entity_id\":\""
                    + entity + "\",\"event_time\":" + (now + i) + ",\"amount\":" + (10 + i) + ",\"velocity\":1,"
                    + "\"channel\":\"web\",\"is_new_device\":false}"));
            }
            producer.flush();
        }
    }

    private Map<String, Object> superUser() {
        Map<String, Object> props = new HashMap<>(broker.superUserSettings());
        props.put("bootstrap.servers", broker.bootstrapServers());
        return props;
    }

    private Path wrongPasswordConfig() throws IOException {
        return Files.writeString(dir.resolve("wrong-password.properties"), Files.readString(CONFIG)
            .replace("password=\"" + freshet.password() + "\"", "password=\"not-the-password\""));
    }

    private static Map<String, Object> keyValues(Path file) throws IOException {
        Map<String, Object> props = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                props.put(line.substring(0, line.indexOf('=')).strip(), line.substring(line.indexOf('=') + 1).strip());
            }
        }
        return props;
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void thePasswordIsNeverLoggedEvenWithKafkasOwnLogAtInfo() throws Exception {
        // A process of its own: this JVM's loggers took their levels long ago.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("run.log");
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info",
            "dev.freshet.launcher.Freshet", "run", "--config", CONFIG.toString(), "--bootstrap-servers",
            broker.bootstrapServers(), "--topics-prefix", "sec.",
            "-D", "featurestore.view.file=" + EXAMPLES.resolve("transactions.yaml").toAbsolutePath(),
            "-D", "featurestore.state.dir=" + dir.resolve("logged-fs"), "-D", "serving.state.dir="
                + dir.resolve("logged-serving"), "-D", "serving.port=0", "-D", "monitor.http.port=-1")
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!Files.readString(log).contains("Running [") && process.isAlive()) {
                assertThat(System.nanoTime()).as("freshet run starts").isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
        } finally {
            process.destroy();
            process.waitFor(60, TimeUnit.SECONDS);
        }
        String logged = Files.readString(log);
        assertThat(logged).as("Kafka logged its clients' configurations").contains("sasl.jaas.config = [hidden]")
            .contains("ProducerConfig values").contains("ConsumerConfig values").contains("StreamsConfig values");
        assertThat(logged).doesNotContain(freshet.password());
    }

    private static String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8);
    }
}
