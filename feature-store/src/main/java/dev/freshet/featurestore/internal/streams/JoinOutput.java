package dev.freshet.featurestore.internal.streams;

/** What the label join emits: an output record to write, or a label on its way to its entity's state. */
sealed interface JoinOutput permits Routed, LabelUpdate, EntityLabel {
}
