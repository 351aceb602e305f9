package dev.freshet.trainer;

import dev.freshet.trainer.testing.PublishedVersions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.KafkaTestCluster;

/**
 * A trainer in a process of its own, for tests that kill it with {@code kill -9}, and what those tests need around
 * it. As a main: arguments bootstrap servers, topics prefix, then {@code key=value} configuration; prints
 * {@code seen <n>} on stdout whenever the number of examples learned changes, and runs until killed.
 */
public final class TrainerProcess {
    private TrainerProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", args[0]);
        props.put("topics.prefix", args[1]);
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            props.put(kv[0], kv[1]);
        }
        Trainer trainer = Trainer.start(props);
        long reported = -1;
        while (true) {
            long seen = trainer.stats().examplesSeen();
            if (seen != reported) {
                System.out.println("seen " + seen);
                System.out.flush();
                reported = seen;
            }
            Thread.sleep(5);
        }
    }

    /** Starts a trainer process with the configuration of an in-test trainer; its stderr goes to {@code log}. */
    static Process start(Map<String, Object> config, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
            "-cp", System.getProperty("java.class.path"), TrainerProcess.class.getName(),
            String.valueOf(config.get("bootstrap.servers")), String.valueOf(config.get("topics.prefix"))));
        config.forEach((k, v) -> {
            if (!k.equals("bootstrap.servers") && !k.equals("topics.prefix")) {
                command.add(k + "=" + v);
            }
        });
        return new ProcessBuilder(command).redirectError(log.toFile()).start();
    }

    /** Follows the process's "seen n" lines on a daemon thread: the examples it has learned, -1 before any. */
    static AtomicLong followSeen(Process process) {
        AtomicLong seen = new AtomicLong(-1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                     new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("seen ")) {
                        seen.set(Long.parseLong(line.substring(5).trim()));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // The process was killed: nothing more to read.
            }
        }, "trainer-process-stdout");
        reader.setDaemon(true);
        reader.start();
        return seen;
    }

    /** The first published version that covers at least {@code examples} examples. */
    static ModelVersion awaitVersionCovering(KafkaTestCluster cluster, String prefix, long examples,
                                             Duration timeout) {
        return PublishedVersions.firstRecords(cluster.consumeUntil(prefix + "models",
                seen -> seen.stream().anyMatch(r -> r.value() != null && parse(r.value()).getExamplesSeen() >= examples),
                timeout))
            .stream().filter(v -> v.getExamplesSeen() >= examples).findFirst().orElseThrow();
    }

    static ModelVersion parse(byte[] bytes) {
        try {
            return ModelVersion.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
