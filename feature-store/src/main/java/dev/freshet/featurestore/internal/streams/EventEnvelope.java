package dev.freshet.featurestore.internal.streams;

import dev.freshet.featurestore.internal.view.Event;

/**
 * A parsed event on its way to its entity's partition, with where it came from so that a late event can
 * still be dead-lettered with its source coordinates and raw bytes.
 *
 * @param originalKey the event record's key, or null
 * @param raw a bounded prefix of the event as read, with its length and SHA-256: only a dead letter needs it, and
 *     the whole event would double the size of each record on the by-entity repartition topic
 * @param onEntityPartition whether the event was read from the partition its entity is processed on, so that it
 *     needs no trip through the by-entity repartition topic; not carried through that topic
 */
record EventEnvelope(int sourcePartition, long sourceOffset, String originalKey, RawValue raw, Event event,
        boolean onEntityPartition) implements IngestOutput, EntityInput {

    EventEnvelope(int sourcePartition, long sourceOffset, String originalKey, RawValue raw, Event event) {
        this(sourcePartition, sourceOffset, originalKey, raw, event, false);
    }
}
