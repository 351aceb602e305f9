package dev.freshet.featurestore.internal.streams;

import com.google.protobuf.ByteString;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.DeadLetter;

/**
 * Builds dead-letter records, so every processor fills them the same way, and keeps them bounded: a dead letter
 * carries at most {@code featurestore.deadletter.raw.max.bytes} of the record's value (with its length and SHA-256)
 * and at most {@link #MAX_TEXT_CHARS} characters in each text field, so it always fits on the dead-letter topic
 * however large the record it stands for. A dead letter too large to write would stop the stage it came from.
 */
final class DeadLetters {
    /** Longest detail, field path, view or topic name a dead letter carries; longer ones end in an ellipsis. */
    static final int MAX_TEXT_CHARS = 2048;

    private DeadLetters() {
    }

    /**
     * @param field path of the offending field, or empty
     * @param raw the record's value as read; null for a tombstone. The prefix kept is bounded where the record is
     *     written ({@link RoutedGuard}), which knows the configured limit.
     */
    static Routed of(TopicLayout topics, DeadLetter.Reason reason, String detail, String field, String view,
            String sourceTopic, int sourcePartition, long sourceOffset, byte[] raw, long nowMs) {
        return of(topics, reason, detail, field, view, sourceTopic, sourcePartition, sourceOffset,
            RawValue.of(raw, Integer.MAX_VALUE), nowMs);
    }

    /** As above, for a value of which only a prefix, its length and its SHA-256 were kept. */
    static Routed of(TopicLayout topics, DeadLetter.Reason reason, String detail, String field, String view,
            String sourceTopic, int sourcePartition, long sourceOffset, RawValue raw, long nowMs) {
        return new Routed(topics.name(Topic.DEAD_LETTER), build(reason, detail, field, view, sourceTopic,
            sourcePartition, sourceOffset, raw, nowMs).toByteArray());
    }

    static DeadLetter build(DeadLetter.Reason reason, String detail, String field, String view, String sourceTopic,
            int sourcePartition, long sourceOffset, RawValue raw, long nowMs) {
        return DeadLetter.newBuilder()
            .setReason(reason)
            .setDetail(clip(detail))
            .setField(clip(field))
            .setView(clip(view))
            .setSourceTopic(clip(sourceTopic))
            .setSourcePartition(sourcePartition)
            .setSourceOffset(sourceOffset)
            .setRawValue(ByteString.copyFrom(raw.prefix()))
            .setRawLength(raw.length())
            .setRawSha256(ByteString.copyFrom(raw.sha256()))
            .setDeadLetteredAtMs(nowMs)
            .build();
    }

    /** The dead letter with its raw prefix cut to {@code maxPrefixBytes}, or the same bytes when it is short. */
    static byte[] bounded(byte[] deadLetter, int maxPrefixBytes) throws com.google.protobuf.InvalidProtocolBufferException {
        DeadLetter parsed = DeadLetter.parseFrom(deadLetter);
        if (parsed.getRawValue().size() <= maxPrefixBytes) {
            return deadLetter;
        }
        return parsed.toBuilder().setRawValue(parsed.getRawValue().substring(0, maxPrefixBytes)).build().toByteArray();
    }

    private static String clip(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= MAX_TEXT_CHARS ? text : text.substring(0, MAX_TEXT_CHARS - 1) + "…";
    }
}
