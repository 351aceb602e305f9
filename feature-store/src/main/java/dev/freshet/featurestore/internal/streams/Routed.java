package dev.freshet.featurestore.internal.streams;

/** A serialized output value and the topic it goes to; lets one sink serve every output of a processor. */
record Routed(String topic, byte[] value) implements IngestOutput, JoinOutput {
}
