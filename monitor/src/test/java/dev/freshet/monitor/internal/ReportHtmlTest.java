package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.monitor.MonitorReport;
import org.junit.jupiter.api.Test;

class ReportHtmlTest {
    private static final MonitorReport REPORT = ReportFixture.report();

    @Test
    void fixtureHasEverySectionFilled() {
        assertThat(REPORT.actions()).extracting(MonitorReport.Action::type).contains("ROLLBACK", "RETRAIN");
        assertThat(REPORT.drift()).isNotNull();
        assertThat(REPORT.accuracyOverTime()).isNotEmpty();
        assertThat(REPORT.driftEvents()).filteredOn(e -> e.feature().equals("(error rate)"))
            .extracting(MonitorReport.DriftEvent::outcome).contains("RETRAIN issued");
    }

    @Test
    void drawsEveryChartAsInlineSvgWithoutScriptsOrNetwork() {
        String html = REPORT.toHtml();

        assertThat(html).contains("id=\"chart-accuracy\"", "id=\"chart-auc\"", "id=\"chart-log-loss\"",
            "id=\"chart-drift\"", "class=\"chart chart-distribution\"", "id=\"chart-calibration\"");
        assertThat(html).contains("marker-rollback", "marker-retrain", "marker-error-change", "class=\"point\"", "bar-reference",
            "bar-current");
        assertThat(html).doesNotContainIgnoringCase("<script").doesNotContain("src=\"http", "href=\"http");
    }

    @Test
    void captionsSayTheWindowTheReferenceAndTheVersion() {
        String html = REPORT.toHtml();
        var drift = REPORT.drift();

        assertThat(html).contains("Reference: examples #" + drift.reference().firstExample() + "-#"
            + drift.reference().lastExample());
        assertThat(html).contains("Current: examples #" + drift.current().firstExample());
        assertThat(html).contains("v" + drift.servingVersion() + " serving");
        assertThat(html).contains("10.0 s window");
    }

    @Test
    void ranksDriftByPsiWithTheDriftedNumericFeatureFirstAmongFeatures() {
        var features = REPORT.drift().features();

        assertThat(features).isSortedAccordingTo((a, b) -> Double.compare(b.psi(), a.psi()));
        assertThat(features).filteredOn(f -> f.kind().equals("numeric")).first()
            .satisfies(f -> {
                assertThat(f.feature()).isEqualTo("amount");
                assertThat(f.ksPValue()).isLessThan(1e-6);
            });
        assertThat(features).extracting(MonitorReport.FeatureDrift::feature)
            .contains("channel", "is_new_device", "(score)", "(label)");
        assertThat(features).filteredOn(f -> f.feature().equals("channel")).singleElement()
            .satisfies(f -> assertThat(f.chiSquaredPValue()).isGreaterThan(0.001));
    }

    @Test
    void writesTheSameContentAsJson() throws Exception {
        JsonNode json = new ObjectMapper().readTree(REPORT.toJson());

        assertThat(json.get("model").asText()).isEqualTo("default");
        assertThat(json.get("accuracyOverTime")).hasSize(REPORT.accuracyOverTime().size());
        assertThat(json.get("drift").get("features").get(0).get("feature").asText())
            .isEqualTo(REPORT.drift().features().get(0).feature());
        assertThat(json.get("actions")).hasSize(REPORT.actions().size());
        assertThat(json.get("calibration").get(0).get("bins")).hasSize(10);
    }

    @Test
    void escapesTextFromTheTopics() {
        assertThat(ReportHtml.esc("<img src=x onerror=\"a\">&")).isEqualTo(
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;");
    }
}
