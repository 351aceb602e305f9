package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.launcher.ListeningSockets;
import org.apache.kafka.common.config.AbstractConfig;
import org.junit.jupiter.api.Test;

/**
 * What a {@code freshet run} listens on, as the kernel sees it (the JVM's listening TCP sockets), against the README's
 * listener table: loopback only, and only the listeners the table says are on.
 */
class ListenersIT {

    @Test
    void aDefaultRunListensOnlyOnLoopbackAndOnlyWhereTheReadmeSays() throws Exception {
        assumeThat(ListeningSockets.available()).as("/proc/self/net/tcp is readable (Linux)").isTrue();
        Map<String, String> table = readmeListenerDefaults();
        assertThat(table).containsEntry("serving gRPC", "127.0.0.1:50051").containsEntry("serving metrics", "off")
            .containsEntry("feature store gRPC", "off").containsEntry("monitor live report", "off")
            .containsEntry("embedded Kafka broker", "localhost");

        // serving.port=0 rather than the default 50051, so that another test on this machine cannot collide with
        // it; the bind addresses, the point here, are the defaults.
        Started run = start(Map.of("serving.port", "0"));
        try (run) {
            Set<InetSocketAddress> opened = run.opened();
            assertThat(opened).allSatisfy(address -> assertThat(address.getAddress().isLoopbackAddress())
                .as("%s is loopback", address).isTrue());
            assertThat(opened).contains(new InetSocketAddress("127.0.0.1",
                run.platform.scoringServer().port()));
            assertThat(opened).extracting(InetSocketAddress::getPort).contains(run.brokerPort());
            // The scoring server, the broker and the broker's KRaft controller; nothing else.
            assertThat(opened).as(describe(opened)).hasSize(3);
        }
    }

    @Test
    void everyListenerTurnedOnBindsLoopbackByDefaultAndLogsItsAddressOnce() throws Exception {
        assumeThat(ListeningSockets.available()).as("/proc/self/net/tcp is readable (Linux)").isTrue();
        Started run = start(Map.of("serving.port", "0", "serving.metrics.port", "0", "featurestore.grpc.port", "0",
            "monitor.http.port", "0"));
        try (run) {
            List<Integer> ports = List.of(run.platform.scoringServer().port(),
                run.platform.scoringServer().metricsPort(), run.platform.featureStore().grpcPort(),
                run.platform.monitor().httpPort());
            Set<InetSocketAddress> opened = run.opened();

            assertThat(opened).allSatisfy(address -> assertThat(address.getAddress().isLoopbackAddress())
                .as("%s is loopback", address).isTrue());
            for (int port : ports) {
                assertThat(opened).contains(new InetSocketAddress("127.0.0.1", port));
                assertThat(run.log.lines().filter(line -> line.contains("127.0.0.1:" + port + " ")
                    || line.contains("127.0.0.1:" + port + "/"))).as("log lines naming port %d", port).hasSize(1);
            }
            assertThat(opened).as(describe(opened)).hasSize(ports.size() + 2);
            assertThat(run.log).contains("listens on 127.0.0.1:" + ports.get(0) + " (plaintext)",
                "Serving Prometheus metrics at http://127.0.0.1:" + ports.get(1) + "/metrics",
                "FeatureStoreService listens on 127.0.0.1:" + ports.get(2),
                "at http://127.0.0.1:" + ports.get(3) + "/ ");
        }
    }

    /** The listener table's "default" column by the first words of each listener. */
    private static Map<String, String> readmeListenerDefaults() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int header = lines.indexOf("| listener | port key (default) | bind key | default | authentication |");
        assertThat(header).as("README.md has the listener table").isNotNegative();
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String line : lines.subList(header + 2, lines.size())) {
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split("\\|");
            String listener = cells[1].strip();
            String name = listener.startsWith("serving gRPC") ? "serving gRPC"
                : listener.startsWith("serving Prometheus") ? "serving metrics"
                : listener.startsWith("feature store gRPC") ? "feature store gRPC"
                : listener.startsWith("monitor live report") ? "monitor live report"
                : listener.startsWith("embedded Kafka broker") ? "embedded Kafka broker" : listener;
            defaults.put(name, cells[4].strip());
        }
        return defaults;
    }

    /** As {@code freshet run} does with no bootstrap.servers: an embedded broker, the topics, every component. */
    private static Started start(Map<String, String> overrides) throws IOException {
        Set<InetSocketAddress> before = ListeningSockets.ofThisProcess();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        EmbeddedKafkaBroker broker = null;
        try {
            Map<String, Object> props = ConfigSources.load(null, overrides);
            broker = EmbeddedKafkaBroker.start();
            props.put("bootstrap.servers", broker.bootstrapServers());
            RunCommand.ensureTopics(props, new AbstractConfig(RunCommand.configDef(), props, false),
                RunCommand.DEFAULT_CLUSTER_TIMEOUT);
            Platform platform = Platform.start(props, EnumSet.allOf(Platform.Component.class));
            return new Started(broker, platform, before, err.toString(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            if (broker != null) {
                broker.close();
            }
            throw e;
        } finally {
            System.setErr(originalErr);
        }
    }

    private record Started(EmbeddedKafkaBroker broker, Platform platform, Set<InetSocketAddress> before, String log)
            implements AutoCloseable {
        Set<InetSocketAddress> opened() throws IOException {
            Set<InetSocketAddress> now = new HashSet<>(ListeningSockets.ofThisProcess());
            now.removeAll(before);
            return now;
        }

        int brokerPort() {
            String bootstrap = broker.bootstrapServers();
            return Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        }

        @Override
        public void close() {
            platform.close();
            broker.close();
        }
    }

    private static String describe(Set<InetSocketAddress> sockets) {
        return sockets.stream().map(InetSocketAddress::toString).sorted().collect(Collectors.joining(", "));
    }
}
