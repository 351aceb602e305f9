package dev.freshet.featurestore.internal.streams;

/** What reaches an entity's feature history: a feature vector (or tombstone) of one view, or a label to join. */
sealed interface HistoryInput permits FeatureRecord, EntityLabel {
}
