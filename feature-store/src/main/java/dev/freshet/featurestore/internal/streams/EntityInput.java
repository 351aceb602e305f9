package dev.freshet.featurestore.internal.streams;

/** What reaches an entity's partition: an event to fold in, or a label of one of its examples. */
sealed interface EntityInput permits EventEnvelope, LabelUpdate {
}
