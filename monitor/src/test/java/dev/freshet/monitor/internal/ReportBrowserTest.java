package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import dev.freshet.monitor.MonitorReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the HTML report in a real headless Chromium and checks that its charts are drawn. Skipped, saying so,
 * when no Chromium is installed ({@code .ci/run} installs Debian's {@code chromium}); set {@code FRESHET_CHROMIUM}
 * to use another binary.
 */
class ReportBrowserTest {
    private static final MonitorReport REPORT = ReportFixture.report();
    /** Added to a copy of the page only: measures what the browser laid out (the report itself has no script). */
    private static final String MEASURE = """
        <script>
        const out = [];
        document.querySelectorAll('svg.chart').forEach(s => {
          const r = s.getBoundingClientRect();
          let marks = 0;
          s.querySelectorAll('circle, rect.bar').forEach(e => {
            const b = e.getBoundingClientRect();
            if (b.width > 0 && b.height > 0) marks++;
          });
          out.push((s.id || 'distribution-' + s.dataset.feature) + ' ' + Math.round(r.width) + ' '
            + Math.round(r.height) + ' ' + marks);
        });
        const pre = document.createElement('pre');
        pre.id = 'measure';
        pre.textContent = out.join('\\n');
        document.body.appendChild(pre);
        </script>
        """;

    @TempDir
    Path dir;

    @Test
    void everyChartHasASizeAndDrawnMarksInTheBrowser() throws Exception {
        String chromium = chromium();
        Path page = dir.resolve("report.html");
        Files.writeString(page, REPORT.toHtml().replace("</body>", MEASURE + "</body>"));

        String dom = run(chromium, "--dump-dom", page.toUri().toString());

        Matcher m = Pattern.compile("<pre id=\"measure\">(.*?)</pre>", Pattern.DOTALL).matcher(dom);
        assertThat(m.find()).as("the measuring script ran; DOM was:%n%s", dom.substring(0, Math.min(500, dom.length())))
            .isTrue();
        Map<String, int[]> charts = new HashMap<>();
        for (String line : m.group(1).strip().split("\n")) {
            String[] p = line.split(" ");
            charts.put(p[0], new int[] {Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3])});
        }
        assertThat(charts).containsKeys("chart-accuracy", "chart-auc", "chart-log-loss", "chart-drift",
            "chart-calibration", "distribution-amount", "distribution-channel");
        assertThat(charts).allSatisfy((id, size) -> {
            assertThat(size[0]).as("%s width", id).isGreaterThan(100);
            assertThat(size[1]).as("%s height", id).isGreaterThan(100);
            assertThat(size[2]).as("%s drawn points or bars", id).isPositive();
        });
        assertThat(charts.get("chart-accuracy")[2]).as("a point per version and window")
            .isGreaterThanOrEqualTo((int) REPORT.accuracyOverTime().stream().map(w -> w.version()).distinct().count());
    }

    @Test
    void screenshotShowsTheChartsColours() throws Exception {
        String chromium = chromium();
        Path page = dir.resolve("report.html");
        Files.writeString(page, REPORT.toHtml());
        Path png = dir.resolve("report.png");

        run(chromium, "--screenshot=" + png, "--window-size=1200,1800", "--hide-scrollbars",
            page.toUri().toString());

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).as("a screenshot was written").isNotNull();
        long nonWhite = 0;
        boolean rollbackRed = false;
        boolean currentOrange = false;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                if (rgb != 0xffffff) {
                    nonWhite++;
                }
                rollbackRed |= near(rgb, 0xd62728);
                currentOrange |= near(rgb, 0xff7f0e);
            }
        }
        assertThat((double) nonWhite / ((long) image.getWidth() * image.getHeight())).isGreaterThan(0.05);
        assertThat(rollbackRed).as("the rollback marker is painted").isTrue();
        assertThat(currentOrange).as("current-window bars are painted").isTrue();
    }

    private static boolean near(int rgb, int target) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs(((rgb >> shift) & 0xff) - ((target >> shift) & 0xff)) > 6) {
                return false;
            }
        }
        return true;
    }

    private static String chromium() {
        String configured = System.getenv("FRESHET_CHROMIUM");
        List<String> candidates = configured != null ? List.of(configured)
            : List.of("chromium", "chromium-browser", "google-chrome");
        for (String candidate : candidates) {
            if (candidate.contains("/") ? new File(candidate).canExecute() : onPath(candidate)) {
                return candidate;
            }
        }
        assumeThat(false).as("Skipped: no Chromium found (%s); install it with `apt-get install -y chromium` as "
            + ".ci/run does, or set FRESHET_CHROMIUM", candidates).isTrue();
        return null;
    }

    private static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (new File(d, name).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private String run(String chromium, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "profile-");
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path stdout = dir.resolve("chromium.out");
        Path stderr = dir.resolve("chromium.err");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
            .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("Chromium did not finish within 60 s: " + Files.readString(stderr));
        }
        assertThat(process.exitValue()).as("Chromium's exit code; its stderr: %s", Files.readString(stderr)).isZero();
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }
}
