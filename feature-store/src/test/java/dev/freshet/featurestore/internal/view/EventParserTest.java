package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.freshet.featurestore.internal.view.Rejection.Reason;
import org.junit.jupiter.api.Test;

class EventParserTest {
    private final EventParser parser = new EventParser(Views.transactions());

    @Test
    void readsTheDemoEvent() {
        ParseResult result = parse("""
            {"event_id":"e-42","entity_id":"u-17","event_time":1764000000123,"amount":12.5,"velocity":0.3,
             "channel":"web","is_new_device":false}""");

        assertThat(result).isEqualTo(new Event("u-17", 1764000000123L,
            Map.of("amount", 12.5, "velocity", 0.3, "channel", "web", "is_new_device", false)));
    }

    @Test
    void readsAnIsoEventTimeAndAWholeNumberEntity() {
        Event event = (Event) parse("""
            {"entity_id":17,"event_time":"2025-11-24T16:00:00.123Z","amount":1,"velocity":0,
             "channel":"web","is_new_device":true}""");

        assertThat(event.entityId()).isEqualTo("17");
        assertThat(event.eventTimeMs()).isEqualTo(1764000000123L);
        assertThat(event.values()).containsEntry("amount", 1.0);
    }

    @Test
    void rejectsMalformedJson() {
        Rejection rejection = (Rejection) parse("{\"entity_id\":\"u-1\",");

        assertThat(rejection.reason()).isEqualTo(Reason.MALFORMED_JSON);
        assertThat(rejection.detail()).contains("not valid JSON").endsWith("expected a JSON object");
    }

    @Test
    void rejectsAJsonValueThatIsNotAnObject() {
        assertThat(((Rejection) parse("[1,2]")).detail())
            .isEqualTo("the value is a JSON array; expected a JSON object");
    }

    @Test
    void rejectsAMissingEntity() {
        Rejection rejection = (Rejection) parse("""
            {"event_time":1,"amount":1,"velocity":0,"channel":"web","is_new_device":true}""");

        assertThat(rejection).isEqualTo(new Rejection(Reason.MISSING_FIELD,
            "the event has no 'entity_id' (the entity id); add it to the event", "entity_id"));
    }

    @Test
    void rejectsAMissingRequiredField() {
        Rejection rejection = (Rejection) parse("""
            {"entity_id":"u-1","event_time":1,"amount":1,"channel":"web","is_new_device":true}""");

        assertThat(rejection.reason()).isEqualTo(Reason.MISSING_FIELD);
        assertThat(rejection.field()).isEqualTo("velocity");
    }

    @Test
    void rejectsAFieldOfTheWrongType() {
        Rejection rejection = (Rejection) parse("""
            {"entity_id":"u-1","event_time":1,"amount":"abc","velocity":0,"channel":"web","is_new_device":true}""");

        assertThat(rejection).isEqualTo(new Rejection(Reason.WRONG_TYPE,
            "the field 'amount' is a string (\"abc\"); expected a number", "amount"));
    }

    @Test
    void rejectsAnUnreadableEventTime() {
        Rejection rejection = (Rejection) parse("""
            {"entity_id":"u-1","event_time":"yesterday","amount":1,"velocity":0,"channel":"web",
             "is_new_device":true}""");

        assertThat(rejection.reason()).isEqualTo(Reason.WRONG_TYPE);
        assertThat(rejection.field()).isEqualTo("event_time");
        assertThat(rejection.detail()).contains("expected epoch milliseconds or an ISO-8601 instant");
    }

    @Test
    void readsNestedPathsAndSkipsAbsentOptionalFields() {
        EventParser nested = new EventParser(FeatureViewParser.parse("""
            name: v
            entity: user.id
            event_time: meta.ts
            fields:
              - {name: score, path: risk.score, type: number}
              - {name: country, type: string, optional: true}
            """, null));

        ParseResult result = nested.parse("""
            {"user":{"id":"u-9"},"meta":{"ts":5},"risk":{"score":0.7}}""".getBytes(StandardCharsets.UTF_8));

        assertThat(result).isEqualTo(new Event("u-9", 5, Map.of("score", 0.7)));
    }

    private ParseResult parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8));
    }
}
