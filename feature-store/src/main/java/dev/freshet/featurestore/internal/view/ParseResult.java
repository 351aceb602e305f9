package dev.freshet.featurestore.internal.view;

/** What reading one raw event gives: an {@link Event}, or a {@link Rejection} saying why not. */
public sealed interface ParseResult permits Event, Rejection {
}
