package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.freshet.featurestore.internal.view.Rejection.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventParserTest {
    private static final long DAY = 86_400_000L;
    /** 2025-11-24T16:00:00Z, the parser's wall clock in the bound tests. */
    private static final long NOW = 1_764_000_000_000L;
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
    void rejectsAMissingFieldDeclaredOptionalFalse() {
        EventParser strict = new EventParser(FeatureViewParser.parse(Views.transactionsYaml()
            .replace("{name: velocity, type: number}", "{name: velocity, type: number, optional: false}"), null));
        Rejection rejection = (Rejection) strict.parse("""
            {"entity_id":"u-1","event_time":1,"amount":1,"velocity":null,"channel":"web","is_new_device":true}"""
            .getBytes(StandardCharsets.UTF_8));

        assertThat(rejection.reason()).isEqualTo(Reason.MISSING_FIELD);
        assertThat(rejection.field()).isEqualTo("velocity");
    }

    @Test
    void takesAnEventWithAnAbsentOrNullFieldWithoutIt() {
        Event event = (Event) parse("""
            {"entity_id":"u-1","event_time":1,"amount":null,"channel":"web","is_new_device":true}""");

        assertThat(event.values()).containsOnly(Map.entry("channel", "web"), Map.entry("is_new_device", true));
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
            {"user":{"id":"u-9"},"meta":{"ts":1764000000000},"risk":{"score":0.7}}""".getBytes(StandardCharsets.UTF_8));

        assertThat(result).isEqualTo(new Event("u-9", 1764000000000L, Map.of("score", 0.7)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void refusesAnEventTimeBeforeTheFloorNamingTheBoundAndTheKey(long eventTimeMs) {
        Rejection rejection = (Rejection) parser.parse(event("u-1", eventTimeMs, "web"), NOW);

        assertThat(rejection.reason()).isEqualTo(Reason.EVENT_TIME_OUT_OF_RANGE);
        assertThat(rejection.field()).isEqualTo("event_time");
        assertThat(rejection.detail()).startsWith("the event time 'event_time' is " + eventTimeMs + " (")
            .contains("before the earliest accepted 1 (1970-01-01T00:00:00.001Z, featurestore.event.time.min.ms)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(longs = {NOW + DAY + 1, NOW + 100L * 365 * DAY, Long.MAX_VALUE})
    void refusesAnEventTimeTooFarAheadOfTheClockNamingTheBoundAndTheKey(long eventTimeMs) {
        Rejection rejection = (Rejection) parser.parse(event("u-1", eventTimeMs, "web"), NOW);

        assertThat(rejection.reason()).isEqualTo(Reason.EVENT_TIME_OUT_OF_RANGE);
        assertThat(rejection.field()).isEqualTo("event_time");
        assertThat(rejection.detail()).contains("more than 86400000 ms (featurestore.event.time.max.future.ms) ahead "
            + "of the feature store's clock (2025-11-24T16:00:00Z)");
    }

    @Test
    void acceptsEventTimesAtBothBounds() {
        assertThat(parser.parse(event("u-1", 1, "web"), NOW)).isInstanceOf(Event.class);
        assertThat(parser.parse(event("u-1", NOW + DAY, "web"), NOW)).isInstanceOf(Event.class);
    }

    @Test
    void historyFromBefore1970IsAcceptedOnceTheFloorIsLowered() {
        EventParser older = new EventParser(Views.transactions(),
            new RecordLimits(DAY, -2_208_988_800_000L, 256, 1024, 1000,
            1 << 20, 16_384));
        long june1949 = -649_036_800_000L;

        assertThat(older.parse(event("u-1", june1949, "web"), NOW)).isInstanceOf(Event.class);
    }

    @Test
    void appliesConfiguredEventTimeBounds() {
        EventParser strict = new EventParser(Views.transactions(), new RecordLimits(0, NOW - DAY, 256, 1024, 1000,
            1 << 20, 16_384));

        assertThat(strict.parse(event("u-1", NOW, "web"), NOW)).isInstanceOf(Event.class);
        assertThat(((Rejection) strict.parse(event("u-1", NOW + 1, "web"), NOW)).reason())
            .isEqualTo(Reason.EVENT_TIME_OUT_OF_RANGE);
        assertThat(((Rejection) strict.parse(event("u-1", NOW - DAY - 1, "web"), NOW)).reason())
            .isEqualTo(Reason.EVENT_TIME_OUT_OF_RANGE);
    }

    @Test
    void refusesAnEntityIdLongerThanTheLimitNamingTheFieldAndTheKey() {
        assertThat(parser.parse(event("u".repeat(256), NOW, "web"), NOW)).isInstanceOf(Event.class);

        Rejection rejection = (Rejection) parser.parse(event("u".repeat(500_000), NOW, "web"), NOW);

        assertThat(rejection).isEqualTo(new Rejection(Reason.VALUE_TOO_LONG, "the entity id 'entity_id' is 500000 "
            + "characters long, more than the 256 accepted (featurestore.entity.id.max.chars); send a shorter value, "
            + "or raise featurestore.entity.id.max.chars", "entity_id"));
    }

    @Test
    void refusesAStringValueLongerThanTheLimitNamingTheFieldAndTheKey() {
        assertThat(parser.parse(event("u-1", NOW, "w".repeat(1024)), NOW)).isInstanceOf(Event.class);

        Rejection rejection = (Rejection) parser.parse(event("u-1", NOW, "w".repeat(900_000)), NOW);

        assertThat(rejection).isEqualTo(new Rejection(Reason.VALUE_TOO_LONG, "the string field 'channel' is 900000 "
            + "characters long, more than the 1024 accepted (featurestore.string.value.max.chars); send a shorter "
            + "value, or raise featurestore.string.value.max.chars", "channel"));
    }

    private static byte[] event(String entity, long eventTimeMs, String channel) {
        return ("{\"entity_id\":\"" + entity + "\",\"event_time\":" + eventTimeMs + ",\"amount\":1,\"velocity\":0,"
            + "\"channel\":\"" + channel + "\",\"is_new_device\":true}").getBytes(StandardCharsets.UTF_8);
    }

    private ParseResult parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8));
    }
}
