package dev.freshet.featurestore.internal.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.proto.features.v1.DeadLetter;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead letters stay bounded however large the record they stand for: a prefix of the raw value, its whole length and
 * SHA-256, and text fields of bounded length; an event over featurestore.record.max.bytes is refused before it is
 * parsed, and the events after it are processed.
 */
class BoundedDeadLettersTest {
    private static final long T0 = 1_767_600_000_000L;
    private static final FeatureView PAYMENTS = new FeatureView("payments", 1, "user_id", "event_time",
        Duration.ofSeconds(30), List.of(new Field("amount", "amount", FieldType.NUMBER, false)),
        List.of(new Aggregation("events_10m", Function.COUNT, null, Duration.ofMinutes(10))));

    @TempDir
    Path stateDir;

    private DrivenTopology driven(Map<String, Object> appConfigs) {
        Topology topology = FeatureStoreTopology.buildIngestion(PAYMENTS, DrivenTopology.TOPICS, 60_000,
            new Counters(), 1, () -> true);
        return new DrivenTopology(topology, stateDir, appConfigs);
    }

    private static String payment(String user, long eventTimeMs) {
        return String.format(Locale.ROOT, "{\"user_id\":\"%s\",\"event_time\":%d,\"amount\":1.5}", user, eventTimeMs);
    }

    /** About a megabyte that is not JSON at all. */
    private static byte[] garbage(int size) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) '{');
        return bytes;
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    @Test
    void keepsABoundedPrefixOfAMalformedEventWithItsLengthAndDigest() throws Exception {
        byte[] poison = garbage(1_000_000);
        try (DrivenTopology driven = driven(Map.of())) {
            driven.eventBytes("u1", poison, T0);
            driven.event("u1", payment("u1", T0), T0);

            List<DeadLetter> deadLetters = driven.deadLetters();
            assertThat(deadLetters).hasSize(1);
            DeadLetter deadLetter = deadLetters.get(0);
            assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.MALFORMED_JSON);
            assertThat(deadLetter.getRawValue().size()).isEqualTo(FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_DEFAULT);
            assertThat(deadLetter.getRawValue().toByteArray())
                .isEqualTo(Arrays.copyOf(poison, FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_DEFAULT));
            assertThat(deadLetter.getRawLength()).isEqualTo(poison.length);
            assertThat(deadLetter.getRawSha256().toByteArray()).isEqualTo(sha256(poison));
            assertThat(deadLetter.getDetail().length()).isLessThanOrEqualTo(DeadLetters.MAX_TEXT_CHARS);
            assertThat(deadLetter.getSerializedSize()).isLessThan(32 * 1024);
            assertThat(driven.features()).hasSize(1);
        }
    }

    @Test
    void keepsAsMuchOfTheRawValueAsConfigured() {
        try (DrivenTopology driven = driven(Map.of(FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_CONFIG, "100"))) {
            driven.eventBytes("u1", garbage(5_000), T0);

            DeadLetter deadLetter = driven.deadLetters().get(0);
            assertThat(deadLetter.getRawValue().size()).isEqualTo(100);
            assertThat(deadLetter.getRawLength()).isEqualTo(5_000);
        }
    }

    @Test
    void describesAShortRecordWhole() throws Exception {
        byte[] small = "not json".getBytes(StandardCharsets.UTF_8);
        try (DrivenTopology driven = driven(Map.of())) {
            driven.eventBytes("u1", small, T0);

            DeadLetter deadLetter = driven.deadLetters().get(0);
            assertThat(deadLetter.getRawValue().toByteArray()).isEqualTo(small);
            assertThat(deadLetter.getRawLength()).isEqualTo(small.length);
            assertThat(deadLetter.getRawSha256().toByteArray()).isEqualTo(sha256(small));
        }
    }

    @Test
    void refusesAnEventOverTheRecordLimitBeforeParsingItAndGoesOn() throws Exception {
        String padding = "x".repeat(70 * 1024);
        byte[] large = ("{\"user_id\":\"u1\",\"event_time\":" + T0 + ",\"amount\":1.5,\"note\":\"" + padding + "\"}")
            .getBytes(StandardCharsets.UTF_8);
        try (DrivenTopology driven = driven(Map.of(FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG, 64 * 1024))) {
            driven.eventBytes("u1", large, T0);
            driven.event("u1", payment("u1", T0 + 1), T0 + 1);

            List<DeadLetter> deadLetters = driven.deadLetters();
            assertThat(deadLetters).singleElement().satisfies(deadLetter -> {
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.RECORD_TOO_LARGE);
                assertThat(deadLetter.getDetail()).contains(FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG);
                assertThat(deadLetter.getRawLength()).isEqualTo(large.length);
            });
            assertThat(deadLetters.get(0).getRawSha256().toByteArray()).isEqualTo(sha256(large));
            assertThat(driven.features()).hasSize(1);
        }
    }

    @Test
    void clipsALongDetailToABoundedLength() {
        DeadLetter deadLetter = DeadLetters.build(DeadLetter.Reason.MALFORMED_JSON, "d".repeat(100_000),
            "f".repeat(100_000), "v", "t", 0, 0, RawValue.NONE, 0);

        assertThat(deadLetter.getDetail()).hasSize(DeadLetters.MAX_TEXT_CHARS).endsWith("…");
        assertThat(deadLetter.getField()).hasSize(DeadLetters.MAX_TEXT_CHARS);
    }
}
