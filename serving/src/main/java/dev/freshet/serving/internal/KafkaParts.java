package dev.freshet.serving.internal;

/**
 * The parts of a scoring server that read or write Kafka. They open after the server's port is bound, since each
 * may wait seconds for the cluster: meanwhile a restarting instance answers health checks NOT_SERVING and calls
 * UNAVAILABLE instead of refusing connections.
 *
 * @param commands null when admin calls are refused before reaching the handler (no tokens, no allowed subjects)
 */
record KafkaParts(ModelWatcher models, FeatureReplica features, PredictionLog predictionLog,
                  CommandPublisher commands) {
}
