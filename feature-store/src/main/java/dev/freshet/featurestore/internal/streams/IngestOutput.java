package dev.freshet.featurestore.internal.streams;

/** What the parse step emits: an event to aggregate, or a dead letter to write. */
sealed interface IngestOutput permits EventEnvelope, Routed {
}
