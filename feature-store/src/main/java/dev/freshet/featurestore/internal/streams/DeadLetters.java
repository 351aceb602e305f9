package dev.freshet.featurestore.internal.streams;

import com.google.protobuf.ByteString;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.features.v1.DeadLetter;

/** Builds dead-letter records, so every processor fills them the same way. */
final class DeadLetters {
    private DeadLetters() {
    }

    /**
     * @param field path of the offending field, or empty
     * @param raw the record's value as read; null for a tombstone
     */
    static Routed of(TopicLayout topics, DeadLetter.Reason reason, String detail, String field, String view,
            String sourceTopic, int sourcePartition, long sourceOffset, byte[] raw, long nowMs) {
        DeadLetter deadLetter = DeadLetter.newBuilder()
            .setReason(reason)
            .setDetail(detail)
            .setField(field)
            .setView(view)
            .setSourceTopic(sourceTopic)
            .setSourcePartition(sourcePartition)
            .setSourceOffset(sourceOffset)
            .setRawValue(raw == null ? ByteString.EMPTY : ByteString.copyFrom(raw))
            .setDeadLetteredAtMs(nowMs)
            .build();
        return new Routed(topics.name(Topic.DEAD_LETTER), deadLetter.toByteArray());
    }
}
