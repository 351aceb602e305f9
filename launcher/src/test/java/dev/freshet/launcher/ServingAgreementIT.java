package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.serving.ScoringServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code freshet models list} and {@code freshet serving status} name the same champion, challenger and last change
 * under a pin, an unpin, a promotion and each rollout mode: a real trainer's registry, a real scoring server, and
 * the changes made as an operator makes them, through {@code freshet serving ...}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingAgreementIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String TOKEN = "alice-token";
    private static final Pattern LIST_CHAMPION = Pattern.compile("serving picks (v\\d+|no version)");
    private static final Pattern LIST_CHALLENGER =
        Pattern.compile("(?:challenged by|with) (v\\d+)(?: in its shadow)?\\.");
    private static final Pattern LIST_LAST_CHANGE = Pattern.compile("last change: +(.*)");
    private static final Pattern STATUS_CHAMPION = Pattern.compile("champion +(v\\d+|none)");
    private static final Pattern STATUS_CHALLENGER = Pattern.compile("challenger +(v\\d+|none)");
    private static final Pattern STATUS_LAST_CHANGE = Pattern.compile("last change +(.*)");

    private EmbeddedKafkaBroker broker;
    private Path tokens;

    @TempDir
    Path dir;

    @BeforeAll
    void startBroker(@TempDir Path tokenDir) throws IOException {
        broker = EmbeddedKafkaBroker.start();
        tokens = Files.writeString(tokenDir.resolve("tokens"), "alice:" + TOKEN + "\n");
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void underAPinBothNameThePinnedVersion() throws Exception {
        try (ScoringServer server = serve("agree-pin.", "none")) {
            String target = "localhost:" + server.port();
            awaitStatus(target, "champion        v3");
            assertAgree("agree-pin.", target, "none", "v3", "none");

            CliRun pin = serving("pin", target, "2", "--reason", "v3 misbehaves on mobile");
            assertThat(pin.exitCode()).as(pin.err()).isZero();
            assertThat(pin.out()).contains("model 'default' will be served by v2 only, until unpinned");
            awaitStatus(target, "champion        v2");

            CliRun list = assertAgree("agree-pin.", target, "none", "v2", "none");
            assertThat(list.out()).contains("serving picks v2 (pinned).")
                .containsPattern("v2 +v1 +ONLINE .*serving, pinned")
                .contains("last change:  PIN v2 by alice: v3 misbehaves on mobile");
            assertThat(serving("status", target).out()).contains("pinned          v2");
        }
    }

    @Test
    void inChallengerModeBothNameTheSameChampionAndChallengerBeforeAndAfterAPromotion() throws Exception {
        try (ScoringServer server = serve("agree-promote.", "challenger")) {
            String target = "localhost:" + server.port();
            awaitStatus(target, "champion        v1", "challenger      v3");
            CliRun before = assertAgree("agree-promote.", target, "challenger", "v1", "v3");
            assertThat(before.out())
                .contains("serving picks v1 (the oldest not barred, as nothing has been promoted), challenged by v3.")
                .containsPattern("v1 +- +ONLINE .*serving")
                .containsPattern("v3 +v2 +ONLINE .*challenger");

            CliRun promote = serving("promote", target, "2", "--reason", "v2 beat v1 on 5000 labels");
            assertThat(promote.exitCode()).as(promote.err()).isZero();
            awaitStatus(target, "champion        v2");

            CliRun after = assertAgree("agree-promote.", target, "challenger", "v2", "v3");
            assertThat(after.out()).contains("serving picks v2 (promoted), challenged by v3.")
                .contains("last change:  PROMOTE v2 by alice: v2 beat v1 on 5000 labels");
            CliRun actions = CliRun.of("actions", "--bootstrap-servers", broker.bootstrapServers(),
                "--topics-prefix", "agree-promote.");
            assertThat(actions.out()).as(actions.err()).containsPattern("PROMOTE +v2 made champion by alice");
            CliRun wrongMode = models("agree-promote.", "none");
            assertThat(wrongMode.out()).as("told the wrong mode, list says how to fix it")
                .contains("v2 was promoted, which counts only in rollout mode challenger or shadow");
        }
    }

    @Test
    void inShadowModeBothFollowAPinAndItsUnpin() throws Exception {
        try (ScoringServer server = serve("agree-shadow.", "shadow")) {
            String target = "localhost:" + server.port();
            awaitStatus(target, "champion        v1", "challenger      v3");
            assertAgree("agree-shadow.", target, "shadow", "v1", "v3");

            assertThat(serving("pin", target, "3", "--reason", "try v3 on everyone").exitCode()).isZero();
            awaitStatus(target, "champion        v3", "challenger      none");
            assertAgree("agree-shadow.", target, "shadow", "v3", "none");

            assertThat(serving("unpin", target, "--reason", "back to the trial").exitCode()).isZero();
            awaitStatus(target, "champion        v1", "challenger      v3", "pinned          no");
            CliRun list = assertAgree("agree-shadow.", target, "shadow", "v1", "v3");
            assertThat(list.out()).contains("with v3 in its shadow.").containsPattern("v3 +v2 +ONLINE .*shadow")
                .contains("last change:  UNPIN by alice: back to the trial");

            // The audit trail names each change as it was made, under the principal its token stands for.
            CliRun actions = CliRun.of("actions", "--bootstrap-servers", broker.bootstrapServers(),
                "--topics-prefix", "agree-shadow.");
            assertThat(actions.exitCode()).as(actions.err()).isZero();
            assertThat(actions.out()).contains("2 action(s) for model 'default'")
                .containsPattern("PIN +v3 pinned by alice \\(command ")
                .containsPattern("UNPIN +pin released, serving follows the rollout again by alice \\(command ")
                .contains("reason:  try v3 on everyone", "reason:  back to the trial")
                .doesNotContain("replacing", "v0");
        }
    }

    /**
     * Runs {@code models list} and {@code serving status} as an operator would and checks that they name the same
     * champion, challenger and last change, and the ones expected.
     *
     * @return the {@code models list} run
     */
    private CliRun assertAgree(String prefix, String target, String mode, String champion, String challenger) {
        CliRun list = models(prefix, mode);
        CliRun status = serving("status", target);
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(status.exitCode()).as(status.err()).isZero();

        assertThat(find(LIST_CHAMPION, list.out(), "no version")).as(list.out()).isEqualTo(champion);
        assertThat(find(STATUS_CHAMPION, status.out(), "none")).as(status.out()).isEqualTo(champion);
        assertThat(find(LIST_CHALLENGER, list.out(), "none")).as(list.out()).isEqualTo(challenger);
        assertThat(find(STATUS_CHALLENGER, status.out(), "none")).as(status.out()).isEqualTo(challenger);
        assertThat(find(LIST_LAST_CHANGE, list.out(), "")).as("last change")
            .isEqualTo(find(STATUS_LAST_CHANGE, status.out(), ""));
        assertThat(status.out()).contains("rollout         " + mode);
        return list;
    }

    private static String find(Pattern pattern, String text, String absent) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? matcher.group(1).strip() : absent;
    }

    /** A trainer's three versions under {@code prefix}, and a scoring server following them in {@code mode}. */
    private ScoringServer serve(String prefix, String mode) throws Exception {
        ThreeVersionRegistry.publishVersions(broker, prefix, "features", "predictions");
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", broker.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("serving.port", 0);
        props.put("serving.state.dir", dir.resolve(prefix).toString());
        props.put("serving.rollout.mode", mode);
        props.put("serving.admin.token.file", tokens.toString());
        props.put("serving.shutdown.grace.ms", 2000L);
        return ScoringServer.start(props);
    }

    private CliRun models(String prefix, String mode) {
        return CliRun.of("models", "list", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix",
            prefix, "--rollout-mode", mode);
    }

    private static CliRun serving(String verb, String target, String... more) {
        List<String> args = new ArrayList<>(List.of("serving", verb, "--target", target, "--token", TOKEN));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** Waits until {@code serving status} prints every one of {@code lines}: serving has read and applied a change. */
    private static void awaitStatus(String target, String... lines) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        CliRun status = serving("status", target);
        while (status.exitCode() != 0 || !Arrays.stream(lines).allMatch(status.out()::contains)) {
            assertThat(System.nanoTime()).as("serving status shows %s within %s; last:%n%s%s",
                Arrays.toString(lines), TIMEOUT, status.out(), status.err()).isLessThan(deadline);
            Thread.sleep(50);
            status = serving("status", target);
        }
    }
}
