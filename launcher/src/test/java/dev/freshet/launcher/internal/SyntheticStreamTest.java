package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class SyntheticStreamTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void sameSeedGivesTheSameStream() {
        SyntheticStream a = new SyntheticStream(7, 50);
        SyntheticStream b = new SyntheticStream(7, 50);
        for (int i = 0; i < 100; i++) {
            assertThat(a.next(1000L + i)).isEqualTo(b.next(1000L + i));
        }
    }

    @Test
    void aboutOnePercentIsMalformedAndEachKindFailsItsOwnWay() throws Exception {
        SyntheticStream stream = new SyntheticStream(1, 200);
        Map<SyntheticStream.Kind, Integer> counts = new EnumMap<>(SyntheticStream.Kind.class);
        for (int i = 0; i < 20_000; i++) {
            SyntheticStream.Event event = stream.next(i);
            counts.merge(event.kind(), 1, Integer::sum);
            switch (event.kind()) {
                case VALID -> {
                    JsonNode node = json.readTree(event.json());
                    assertThat(node.get("entity_id").asText()).isEqualTo(event.entityId());
                    assertThat(node.get("amount").isNumber()).isTrue();
                }
                case MALFORMED_JSON -> assertThatThrownBy(() -> json.readTree(event.json()))
                    .isInstanceOf(JsonProcessingException.class);
                case MISSING_ENTITY -> assertThat(json.readTree(event.json()).has("entity_id")).isFalse();
                case WRONG_TYPE -> assertThat(json.readTree(event.json()).get("amount").isTextual()).isTrue();
            }
        }
        int malformed = 20_000 - counts.get(SyntheticStream.Kind.VALID);
        assertThat(malformed).isBetween(140, 260);
        assertThat(counts).containsKeys(SyntheticStream.Kind.MALFORMED_JSON, SyntheticStream.Kind.MISSING_ENTITY,
            SyntheticStream.Kind.WRONG_TYPE);
    }

    @Test
    void labelsAreNeitherRareNorDominantBeforeOrAfterDrift() {
        SyntheticStream stream = new SyntheticStream(3, 200);
        assertThat(positiveRate(stream)).isBetween(0.3, 0.7);
        stream.drift();
        assertThat(positiveRate(stream)).isBetween(0.3, 0.7);
    }

    @Test
    void driftShiftsVelocityUpward() {
        SyntheticStream stream = new SyntheticStream(5, 200);
        double before = meanVelocity(stream);
        stream.drift();
        assertThat(meanVelocity(stream)).isGreaterThan(before + 1.5);
    }

    private static double positiveRate(SyntheticStream stream) {
        int positive = 0;
        for (int i = 0; i < 5000; i++) {
            positive += "1".equals(stream.next(i).label()) ? 1 : 0;
        }
        return positive / 5000.0;
    }

    private static double meanVelocity(SyntheticStream stream) {
        double sum = 0;
        for (int i = 0; i < 5000; i++) {
            sum += stream.next(i).velocity();
        }
        return sum / 5000;
    }
}
