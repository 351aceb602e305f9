package dev.freshet.monitor.internal;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import org.apache.kafka.common.config.ConfigException;

/**
 * A pinned drift baseline: the training examples predicted from {@code fromMs} (inclusive) to {@code toMs}
 * (exclusive). Not an API: public only for the monitor's config validation.
 */
public record PinnedRange(long fromMs, long toMs) {

    /**
     * Parses {@code FROM/TO} (ISO-8601 instants); empty means no pinned baseline.
     *
     * @throws ConfigException naming {@code key} when the value is not two instants, FROM before TO
     */
    public static Optional<PinnedRange> parse(String key, String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String[] parts = value.split("/", -1);
        if (parts.length != 2) {
            throw new ConfigException(key, value, "expected FROM/TO as ISO-8601 instants, e.g. "
                + "2026-11-02T00:00:00Z/2026-11-09T00:00:00Z");
        }
        try {
            Instant from = Instant.parse(parts[0].trim());
            Instant to = Instant.parse(parts[1].trim());
            if (!from.isBefore(to)) {
                throw new ConfigException(key, value, "FROM must be before TO");
            }
            return Optional.of(new PinnedRange(from.toEpochMilli(), to.toEpochMilli()));
        } catch (DateTimeParseException e) {
            throw new ConfigException(key, value, "'" + e.getParsedString() + "' is not an ISO-8601 instant; expected "
                + "FROM/TO such as 2026-11-02T00:00:00Z/2026-11-09T00:00:00Z");
        }
    }

    boolean contains(long ms) {
        return ms >= fromMs && ms < toMs;
    }

    @Override
    public String toString() {
        return Instant.ofEpochMilli(fromMs) + "/" + Instant.ofEpochMilli(toMs);
    }
}
