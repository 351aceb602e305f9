package dev.freshet.launcher.internal;

import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The demo's card-transaction stream: learnable, with about 1% malformed events and one abrupt concept drift.
 *
 * <p>Each card holder has a typical spend; a transaction is likelier to be flagged (label "1") when it is large
 * for its holder, fast after the previous one, on the web, or from a new device. A linear model needs the holder's
 * mean spend (a windowed feature) to learn the first of these. At the drift point {@code velocity} shifts upward
 * and its relation to the label reverses. Deterministic for a given seed. Not thread-safe.
 */
final class SyntheticStream {
    /** What kind of record {@link #next} produced; the three malformed kinds each fail one way. */
    enum Kind { VALID, MALFORMED_JSON, MISSING_ENTITY, WRONG_TYPE }

    /** One generated event: its JSON, the entity, the true label and the request-time fields. */
    record Event(Kind kind, String eventId, String entityId, String json, String label,
                 double amount, double velocity, String channel, boolean newDevice) {
    }

    private static final String[] CHANNELS = {"web", "app", "pos"};
    private static final double MALFORMED_RATE = 0.01;

    private final ObjectMapper json = new ObjectMapper();
    private final SplittableRandom random;
    private final double[] typicalSpend;
    private long sequence;
    private boolean drifted;

    SyntheticStream(long seed, int entities) {
        this.random = new SplittableRandom(seed);
        this.typicalSpend = new double[entities];
        for (int i = 0; i < entities; i++) {
            typicalSpend[i] = 20 + 180 * random.nextDouble();
        }
    }

    /** From now on, events follow the drifted concept. */
    void drift() {
        drifted = true;
    }

    boolean drifted() {
        return drifted;
    }

    Event next(long eventTimeMs) {
        long id = sequence++;
        String eventId = "e-" + id;
        int entity = random.nextInt(typicalSpend.length);
        String entityId = "card-" + entity;
        double spend = typicalSpend[entity];
        double amount = Math.max(1.0, spend + 15 * random.nextGaussian());
        double velocity = drifted ? 1.5 + exponential(2.0) : exponential(1.0);
        String channel = pickChannel();
        boolean newDevice = random.nextDouble() < 0.1;

        double velocityEffect = drifted ? -1.2 * (velocity - 2.5) : 1.2 * (velocity - 1.0);
        double logit = 0.15 * (amount - spend) + velocityEffect
            + ("web".equals(channel) ? 0.8 : "app".equals(channel) ? -0.4 : 0.0)
            + (newDevice ? 1.8 : 0.0) - 0.3;
        String label = logit + logisticNoise(0.5) > 0 ? "1" : "0";

        Kind kind = Kind.VALID;
        if (random.nextDouble() < MALFORMED_RATE) {
            kind = Kind.values()[1 + random.nextInt(3)];
        }
        ObjectNode node = json.createObjectNode();
        node.put("event_id", eventId);
        if (kind != Kind.MISSING_ENTITY) {
            node.put("entity_id", entityId);
        }
        node.put("event_time", eventTimeMs);
        if (kind == Kind.WRONG_TYPE) {
            node.put("amount", "not-a-number");
        } else {
            node.put("amount", round(amount));
        }
        node.put("velocity", round(velocity));
        node.put("channel", channel);
        node.put("is_new_device", newDevice);
        String text = node.toString();
        if (kind == Kind.MALFORMED_JSON) {
            text = text.substring(0, text.length() / 2);
        }
        return new Event(kind, eventId, kind == Kind.MISSING_ENTITY ? null : entityId, text, label,
            round(amount), round(velocity), channel, newDevice);
    }

    private String pickChannel() {
        double u = random.nextDouble();
        return u < 0.4 ? CHANNELS[0] : u < 0.8 ? CHANNELS[1] : CHANNELS[2];
    }

    private double exponential(double mean) {
        return -mean * Math.log(1 - random.nextDouble());
    }

    private double logisticNoise(double scale) {
        double u = Math.min(Math.max(random.nextDouble(), 1e-9), 1 - 1e-9);
        return scale * Math.log(u / (1 - u));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
