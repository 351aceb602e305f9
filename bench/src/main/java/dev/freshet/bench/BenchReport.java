package dev.freshet.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A benchmark's results file: what was measured, on what machine, when and with which command, then the figures.
 * Every benchmark reports ratios against a baseline measured in the same run, because the machine is shared.
 */
public final class BenchReport {
    private final String name;
    private final String command;
    private final List<String> lines = new ArrayList<>();

    public BenchReport(String name, String[] args) {
        this.name = name;
        this.command = "bench/run " + name + (args.length == 0 ? "" : " " + String.join(" ", args));
    }

    /** Adds a line of Markdown (a table row, a heading, a sentence) and echoes it to the console. */
    public BenchReport line(String format, Object... values) {
        String line = String.format(Locale.ROOT, format, values);
        lines.add(line);
        System.out.println(line);
        return this;
    }

    /** Writes bench/results/NAME.md (relative to the working directory's repository root when found). */
    public Path write() {
        Path dir = resultsDir();
        Path file = dir.resolve(name + ".md");
        List<String> out = new ArrayList<>();
        out.add("# " + name);
        out.add("");
        out.add("- date: " + Instant.now());
        out.add("- command: `" + command + "`");
        out.add("- machine: " + machine());
        out.add("- JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
            + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        out.add("");
        out.addAll(lines);
        try {
            Files.createDirectories(dir);
            Files.write(file, out);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
        System.out.println("Results written to " + file.toAbsolutePath());
        return file;
    }

    private static Path resultsDir() {
        Path root = repositoryRoot();
        return root != null ? root.resolve("bench").resolve("results") : Path.of("bench-results").toAbsolutePath();
    }

    /**
     * The shared benchmark data (Elec2, flights, NOAA weather...; each file's source is in its MANIFEST.md): the
     * system property {@code freshet.data} when set, else {@code ../shared/data} beside the checkout.
     */
    public static Path sharedData() {
        String configured = System.getProperty("freshet.data");
        if (configured != null) {
            return Path.of(configured);
        }
        Path root = repositoryRoot();
        return (root != null ? root.toAbsolutePath().getParent() : Path.of("..")).resolve("shared").resolve("data");
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("bench").resolve("src"))) {
                return p;
            }
        }
        return null;
    }

    private static String machine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: keep the generic name
        }
        long memoryMiB = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getTotalMemorySize() / (1024 * 1024);
        return String.format(Locale.ROOT, "%s, %d cores (%s), %d MiB RAM, %s %s", host,
            Runtime.getRuntime().availableProcessors(), cpu, memoryMiB, System.getProperty("os.name"),
            System.getProperty("os.version"));
    }
}
