package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class DefinitionReaderTest {
    private static final Map<String, ConfigDef.ConfigKey> KEYS = new ConfigDef()
        .define("x.margin", ConfigDef.Type.DOUBLE, 0.1, ConfigDef.Range.between(0.0, 1.0), ConfigDef.Importance.LOW,
            "A margin.")
        .define("x.samples", ConfigDef.Type.INT, 50, ConfigDef.Range.atLeast(1), ConfigDef.Importance.LOW,
            "Samples.")
        .define("x.cooldown.ms", ConfigDef.Type.LONG, 0L, ConfigDef.Range.atLeast(0), ConfigDef.Importance.LOW,
            "A cooldown.")
        .define("x.detector", ConfigDef.Type.STRING, "adwin", ConfigDef.ValidString.in("adwin", "none"),
            ConfigDef.Importance.LOW, "A detector.")
        .configKeys();

    private final DefinitionProblems problems = new DefinitionProblems();
    private final DefinitionReader reader = new DefinitionReader(problems);

    @Test
    void namesEachProblemByItsFieldPathAndListsThemAll() {
        JsonNode views = reader.document("""
            views:
              - features: [{window: 10m}, {window: 1h}, {window: 10x}]
              - features: [{window: [1]}]
            """).get("views");

        for (int v = 0; v < views.size(); v++) {
            JsonNode features = views.get(v).get("features");
            for (int f = 0; f < features.size(); f++) {
                String at = DefinitionReader.child(DefinitionReader.element(DefinitionReader.child(
                    DefinitionReader.element("views", v), "features"), f), "window");
                reader.duration(features.get(f).get("window"), at);
            }
        }

        assertThat(problems.list()).containsExactly(
            "views[0].features[2].window: '10x' is not a duration; use a whole number and a unit, e.g. 500ms, "
                + "30s, 10m, 1h, 1d",
            "views[1].features[0].window: a list is not a duration; use a whole number and a unit, e.g. 500ms, "
                + "30s, 10m, 1h, 1d");
    }

    @Test
    void refusesEachUnknownFieldNamingTheNearestAndTheAccepted() {
        JsonNode node = reader.document("{margn: 0.1, z: 4, colour: red}");

        reader.allowOnly(node, "rollback", List.of("min_samples", "margin", "z"));

        assertThat(problems.list()).containsExactly(
            "rollback.margn: unknown field; expected one of [min_samples, margin, z]; did you mean 'margin'?",
            "rollback.colour: unknown field; expected one of [min_samples, margin, z]");
    }

    @Test
    void reportsTextThatIsNotYamlAtTheDocumentWithItsLine() {
        assertThat(reader.documents("a: [1\nb: 2\n")).isEmpty();

        assertThat(problems.list()).singleElement().asString()
            .startsWith("(document): not valid YAML at line ");
    }

    @Test
    void readsEveryDocumentOfAStreamSkippingEmptyOnes() {
        assertThat(reader.documents("a: 1\n---\n---\nb: 2\n")).hasSize(2);
        assertThat(reader.document("")).isNull();
        assertThat(problems.isEmpty()).isTrue();
    }

    @Test
    void prefixesTheProblemsOfAPart() {
        DefinitionProblems part = new DefinitionProblems();
        part.add("fields[0].type", "'text' is not one of number, string");
        part.add("", "holds nothing");

        problems.addAll("views[1]", part);

        assertThat(problems.list()).containsExactly("views[1].fields[0].type: 'text' is not one of number, string",
            "views[1]: holds nothing");
    }

    @Test
    void checksAValueWithTheKeysOwnTypeAndValidator() {
        JsonNode node = reader.document("{margin: 1.5, samples: 2.5, ok: 0.5, named: cusum, word: high}");

        assertThat(reader.configValue(node.get("ok"), "ok", KEYS, "x.margin")).isEqualTo(0.5);
        assertThat(reader.configValue(node.get("margin"), "margin", KEYS, "x.margin")).isNull();
        assertThat(reader.configValue(node.get("samples"), "samples", KEYS, "x.samples")).isNull();
        assertThat(reader.configValue(node.get("named"), "named", KEYS, "x.detector")).isNull();
        assertThat(reader.configValue(node.get("word"), "word", KEYS, "x.margin")).isNull();
        assertThat(reader.configValue(5L, "'5ms'", "cooldown", KEYS, "x.cooldown.ms")).isEqualTo(5L);

        assertThat(problems.list()).containsExactly(
            "margin: 1.5 is not accepted; expected [0.0,...,1.0]",
            "samples: 2.5 is not a whole number",
            "named: 'cusum' is not accepted; expected [adwin, none]",
            "word: 'high' is not a number");
    }

    @Test
    void readsDurationsAsTextOrWhereAllowedAsMilliseconds() {
        JsonNode node = reader.document("{a: 1d, b: 1500, c: 1500, d: 400000000000}");

        assertThat(reader.duration(node.get("a"), "a")).isEqualTo(Duration.ofDays(1));
        assertThat(reader.durationOrMillis(node.get("b"), "b")).isEqualTo(Duration.ofMillis(1500));
        assertThat(reader.duration(node.get("c"), "c")).isNull();
        assertThat(reader.durationOrMillis(node.get("d"), "d")).isNull();

        assertThat(problems.list()).containsExactly(
            "c: '1500' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d",
            "d: 400000000000 ms is longer than 315360000000 (ten years), the longest duration accepted");
    }

    @Test
    void readsTypedValuesAndSaysWhatWasExpected() {
        JsonNode node = reader.document("{n: 3, big: 30, t: true, kind: Tumbling, list: [1], m: {a: 1}}");

        assertThat(reader.wholeNumber(node.get("n"), "n", 1, 10)).isEqualTo(3);
        assertThat(reader.wholeNumber(node.get("big"), "big", 1, 10)).isNull();
        assertThat(reader.bool(node.get("t"), "t")).isTrue();
        assertThat(reader.bool(node.get("n"), "n")).isNull();
        assertThat(reader.oneOf(node.get("kind"), "kind", List.of("trailing", "tumbling"))).isEqualTo("tumbling");
        assertThat(reader.oneOf(node.get("n"), "n", List.of("trailing", "tumbling"))).isNull();
        assertThat(reader.text(node.get("list"), "list")).isNull();
        assertThat(reader.number(node.get("t"), "t")).isNull();
        assertThat(reader.isMapping(node.get("list"), "list", "a mapping {a}")).isFalse();
        assertThat(reader.isMapping(node.get("m"), "m", "a mapping {a}")).isTrue();

        assertThat(problems.list()).containsExactly(
            "big: 30 is not a whole number from 1 to 10",
            "n: 3 is not true or false",
            "n: 3 is not one of trailing, tumbling",
            "list: expected a single value, not array",
            "t: true is not a number",
            "list: expected a mapping {a}, got a list");
    }

    @Test
    void theExceptionListsEveryProblemAndIsAConfigurationError() {
        InvalidDefinitionException e = new InvalidDefinitionException("Model spec", "m.yaml",
            List.of("a: missing", "b: 'x' is not a number"));

        assertThat(e).isInstanceOf(ConfigException.class)
            .hasMessage("Model spec m.yaml is invalid: 2 problems: a: missing; b: 'x' is not a number");
        assertThat(e.problems()).containsExactly("a: missing", "b: 'x' is not a number");
        assertThat(new InvalidDefinitionException("Feature view", null, List.of("a: missing")))
            .hasMessage("a: missing");
        assertThatThrownBy(() -> new InvalidDefinitionException("Model spec", "m.yaml", List.of()))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
