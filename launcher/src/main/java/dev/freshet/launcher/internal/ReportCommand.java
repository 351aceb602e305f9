package dev.freshet.launcher.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.freshet.monitor.Monitor;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.monitor.MonitorReport;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code freshet report}: reads a loop's topics once, with the monitor's own logic, and writes the report as an HTML
 * page with charts and as JSON.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = {
        "Read a loop's topics to their end with the monitor's logic (read-only: no consumer group, no command) and",
        "write an HTML report with charts (accuracy per version over time with retrain and rollback markers,",
        "distributions reference against current, drift ranked, calibration) and the same content as JSON."})
public final class ReportCommand implements Callable<Integer> {
    @Mixin
    ReportOptions cluster = new ReportOptions();

    @Option(names = "--html", defaultValue = "freshet-report.html", paramLabel = "PATH",
        description = "Where to write the HTML page (default: ${DEFAULT-VALUE}).")
    Path html;

    @Option(names = "--json", paramLabel = "PATH",
        description = "Where to write the JSON (default: the HTML path with .json).")
    Path json;

    PrintStream out = System.out;

    @Override
    public Integer call() throws IOException {
        MonitorReport report = cluster.read();
        Path jsonPath = json != null ? json : html.resolveSibling(baseName(html) + ".json");
        write(html, report.toHtml());
        write(jsonPath, report.toJson());
        out.printf("Model '%s': %d labelled predictions, %d versions, %d actions read.%n", report.model(),
            report.examplesSeen(), report.versions().size(), report.actions().size());
        out.println("Report written to " + html.toAbsolutePath() + " and " + jsonPath.toAbsolutePath());
        return 0;
    }

    private static String baseName(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static void write(Path path, String content) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(path, content);
    }

    /** Where to read from and what to report on; shared by {@code report} and {@code actions}. */
    static final class ReportOptions {
        @Mixin
        ClusterOptions cluster;

        @Option(names = "--model", defaultValue = MonitorConfig.MODEL_NAME_DEFAULT, paramLabel = "NAME",
            description = "Model to report on (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--timeout", defaultValue = "60s", converter = DemoCommand.DurationConverter.class,
            paramLabel = "DURATION", description = "Give up reading after this long (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        MonitorReport read() {
            Map<String, Object> props = new HashMap<>(cluster.config());
            props.put(MonitorConfig.MODEL_NAME_CONFIG, model);
            try {
                return Monitor.readOnce(props, timeout);
            } catch (KafkaException e) {
                throw new LauncherException("Could not read the topics of '" + cluster.topics().prefix() + "*' at "
                    + props.get(MonitorConfig.BOOTSTRAP_SERVERS_CONFIG) + ": " + e.getMessage(), e);
            }
        }
    }
}
