package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every start-up mistake ends {@code freshet run} with exit code 2 and one {@code freshet:} line naming the key or
 * file and what to do, without a stack trace unless {@code -v}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StartupMistakesIT {
    private static final Path DEMO_VIEW = Path.of("..", "examples", "transactions.yaml");

    private EmbeddedKafkaBroker broker;
    private int prefixes;

    @TempDir
    Path dir;

    @BeforeAll
    void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void servingPortInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            String line = refusal(run("serving", "-D", "serving.port=" + taken.getLocalPort(),
                "-D", "serving.state.dir=" + dir.resolve("serving")));
            assertThat(line).startsWith("freshet: serving: ").contains("127.0.0.1:" + taken.getLocalPort())
                .contains("serving.port");
        }
    }

    @Test
    void featureStoreGrpcPortInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            String line = refusal(run("feature-store", "-D", "featurestore.grpc.port=" + taken.getLocalPort(),
                "-D", "featurestore.view.file=" + DEMO_VIEW.toAbsolutePath(),
                "-D", "featurestore.state.dir=" + dir.resolve("fs")));
            assertThat(line).startsWith("freshet: feature-store: ").contains(Integer.toString(taken.getLocalPort()))
                .contains("featurestore.grpc.port");
        }
    }

    @Test
    void monitorHttpPortInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            String line = refusal(run("monitor", "-D", "monitor.http.port=" + taken.getLocalPort()));
            assertThat(line).contains("monitor.http.port").contains(Integer.toString(taken.getLocalPort()))
                .contains("choose a free port, 0 for any, or -1 to disable it");
        }
    }

    @Test
    void missingViewFile() {
        Path missing = dir.resolve("no-such-views.yaml");
        String line = refusal(run("feature-store", "-D", "featurestore.view.file=" + missing));
        assertThat(line).isEqualTo("freshet: featurestore.view.file " + missing + " does not exist; give the path of "
            + "a YAML file of feature views (see examples/transactions.yaml)");
    }

    @Test
    void malformedViewFile() throws IOException {
        Path views = Files.writeString(dir.resolve("views.yaml"), "views:\n  - name: [unclosed\n    entity: x\n");
        String line = refusal(run("feature-store", "-D", "featurestore.view.file=" + views));
        assertThat(line).contains(views.toString());
    }

    @Test
    void badModelSpec() throws IOException {
        Path spec = Files.writeString(dir.resolve("model.yaml"), "name: fraud\ntask: binary\nl2: lots\n");
        String line = refusal(run("trainer", "-D", "trainer.spec.file=" + spec));
        assertThat(line).contains("Model spec " + spec + " is invalid").contains("l2: 'lots' is not a number");
    }

    @Test
    void badPolicyFile() throws IOException {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "rollback:\n  margn: 0.2\n");
        String line = refusal(run("monitor", "-D", "monitor.policy.file=" + policy));
        assertThat(line).contains(policy.toString()).contains("did you mean 'margin'?");
    }

    @Test
    void unreachableBroker() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CliRun run = CliRun.of("run", "--components", "trainer", "--bootstrap-servers", "localhost:" + closedPort,
            "--cluster-timeout", "2s");
        assertThat(refusal(run)).isEqualTo("freshet: cannot reach the Kafka cluster at localhost:" + closedPort
            + " within 2 s; check bootstrap.servers (--bootstrap-servers) and that the cluster is up "
            + "(freshet run --cluster-timeout sets the wait)");
    }

    @Test
    void verbosePrintsTheStackTraceOfARefusal() {
        Path missing = dir.resolve("missing.yaml");
        CliRun run = CliRun.of(args(List.of("run"), "feature-store", "-D", "featurestore.view.file=" + missing, "-v"));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("freshet: ").contains("\tat dev.freshet.");
    }

    private CliRun run(String component, String... more) {
        return CliRun.of(args(List.of("run"), component, more));
    }

    private String[] args(List<String> head, String component, String... more) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of("--components", component, "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", "mistake-" + (++prefixes) + "."));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** Checks what every refusal shares and returns its one line. */
    private static String refusal(CliRun run) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception in thread");
        List<String> lines = run.err().lines().filter(l -> l.startsWith("freshet:")).toList();
        assertThat(lines).as(run.err()).hasSize(1);
        return lines.get(0);
    }
}
