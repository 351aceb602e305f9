package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.trainer.Trainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code freshet run} does not keep running without a component: a stage that stops for good ends it with code 1. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunSupervisionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void aFencedTrainerEndsRunWithExitCodeOneAndOneLineSayingWhy() throws Exception {
        String prefix = "fenced.";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        CompletableFuture<Integer> run;
        Trainer usurper = null;
        int exitCode;
        try {
            run = CompletableFuture.supplyAsync(() -> Freshet.execute("run", "--components", "trainer",
                "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", prefix));
            await("freshet run to be running", () -> text(err).contains("Running [TRAINER] against")
                || run.isDone());
            assertThat(run).as(text(err)).isNotDone();

            // A second trainer of the same model and prefix takes over its transactional id; the first finds out at
            // its next transaction, the acknowledgement of this command.
            Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(),
                "topics.prefix", prefix);
            usurper = Trainer.start(props);
            sendPause(prefix + "commands");

            exitCode = run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
            if (usurper != null) {
                usurper.close();
            }
        }

        assertThat(exitCode).as(text(err)).isEqualTo(1);
        assertThat(text(err).lines().filter(l -> l.startsWith("freshet:"))).singleElement().satisfies(line ->
            assertThat(line).startsWith("freshet: trainer: learning thread stopped: model 'default': ")
                .contains("Another trainer for model 'default'").contains("took over"));
        assertThat(usurper.liveness().alive()).isTrue();
    }

    private void sendPause(String topic) throws Exception {
        Command pause = Command.newBuilder().setCommandId("test-pause").setType(Command.Type.PAUSE)
            .setModel("default").setReason("fencing test").setIssuedBy("test")
            .setIssuedAtMs(System.currentTimeMillis()).build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "default", pause.toByteArray())).get(30, TimeUnit.SECONDS);
        }
    }

    private static String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
