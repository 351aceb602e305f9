package dev.freshet.serving.internal;

import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;

/**
 * The Predict RPC: stored features plus request fields, scored by the current model, logged, answered.
 * Errors are thrown and turned into statuses by {@link StatusMappingInterceptor}. Thread-safe.
 */
final class PredictionHandler extends PredictionServiceGrpc.PredictionServiceImplBase {
    private static final Logger log = LoggerFactory.getLogger(PredictionHandler.class);

    private final ModelWatcher models;
    private final FeatureReplica features;
    private final PredictionLog predictionLog;
    private final String modelName;
    private final String modelsTopic;
    private final BooleanSupplier shuttingDown;
    private final InstantSource clock;

    PredictionHandler(ModelWatcher models, FeatureReplica features, PredictionLog predictionLog, String modelName,
                      String modelsTopic, BooleanSupplier shuttingDown, InstantSource clock) {
        this.models = models;
        this.features = features;
        this.predictionLog = predictionLog;
        this.modelName = modelName;
        this.modelsTopic = modelsTopic;
        this.shuttingDown = shuttingDown;
        this.clock = clock;
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> responses) {
        if (Context.current().isCancelled()) {
            return; // the deadline passed or the caller left while the call was queued: do no work
        }
        if (shuttingDown.getAsBoolean()) {
            throw new ShuttingDownException("this serving instance is shutting down; retry on another instance.");
        }
        if (request.getEntityId().isBlank()) {
            throw new InvalidRequestException("entity_id is required: set it to the id whose stored features should "
                + "be added to the request (e.g. a user or card id).");
        }
        String requestId = request.getRequestId().isEmpty() ? UUID.randomUUID().toString() : request.getRequestId();
        Optional<FeatureVector> stored = features.lookup(request.getEntityId());
        Map<String, Double> merged = FeatureEncoding.merge(
            stored.map(FeatureVector::getValuesMap).orElse(Map.of()), request.getFieldsMap());
        PredictionLogEntry.Builder entry = PredictionLogEntry.newBuilder()
            .setRequestId(requestId)
            .setEntityId(request.getEntityId())
            .putAllFeatures(merged)
            .setModel(modelName)
            .setEntityKnown(stored.isPresent());
        ServedModel model = models.current();
        if (model == null) {
            // Log what was asked even though nothing could answer it: the label join needs these features to
            // make the examples that train the very first version (model_version 0 marks "no model").
            predictionLog.append(entry.setServedAtMs(clock.millis()).build());
            throw new ModelNotReadyException(String.format("no version of model '%s' has been published yet; retry "
                + "after the trainer (or an operator) publishes one to topic '%s'.", modelName, modelsTopic));
        }
        Prediction<Label> prediction = model.score(merged);
        if (Context.current().isCancelled()) {
            return; // nobody will read the answer, so it must not reach the prediction log either
        }
        PredictResponse.Builder response = PredictResponse.newBuilder()
            .setRequestId(requestId)
            .setLabel(prediction.getOutput().getLabel())
            .setScore(prediction.getOutput().getScore())
            .setModel(modelName)
            .setModelVersion(model.version())
            .setEntityKnown(stored.isPresent());
        prediction.getOutputScores().forEach((label, score) -> response.putClassProbabilities(label, score.getScore()));
        if (request.getIncludeFeatures()) {
            response.putAllFeatures(merged);
        }
        predictionLog.append(entry
            .setLabel(response.getLabel())
            .setScore(response.getScore())
            .putAllClassProbabilities(response.getClassProbabilitiesMap())
            .setModelVersion(model.version())
            .setServedAtMs(clock.millis())
            .build());
        log.debug("Predicted '{}' for request '{}' with model '{}' v{}.", response.getLabel(), requestId, modelName,
            model.version());
        responses.onNext(response.build());
        responses.onCompleted();
    }
}
