package dev.freshet.featurestore.internal.streams;

import dev.freshet.featurestore.internal.view.Event;

/**
 * A parsed event on its way to its entity's partition, with where it came from so that a late event can
 * still be dead-lettered with its source coordinates and raw bytes.
 *
 * @param originalKey the event record's key, or null
 */
record EventEnvelope(int sourcePartition, long sourceOffset, String originalKey, byte[] raw, Event event)
        implements IngestOutput, EntityInput {
}
