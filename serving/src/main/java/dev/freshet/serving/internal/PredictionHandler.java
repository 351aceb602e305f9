package dev.freshet.serving.internal;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import dev.freshet.proto.serving.v1.ModelRole;
import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.proto.serving.v1.PredictBatchResponse;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;

/**
 * Predict, PredictBatch and PredictStream: stored features plus request fields, scored by the current model,
 * logged, answered. Errors are thrown and turned into statuses by {@link ServingStatusMapping} (streams end
 * themselves with the same mapping). Thread-safe.
 */
final class PredictionHandler extends PredictionServiceGrpc.PredictionServiceImplBase {
    private static final Logger log = LoggerFactory.getLogger(PredictionHandler.class);

    private final OpenedParts parts;
    private final Counters counters;
    private final ServingMetrics metrics;
    private final RolloutPolicy rollout;
    private final String modelName;
    private final String modelsTopic;
    private final int batchMaxSize;
    private final BooleanSupplier shuttingDown;
    private final InstantSource clock;
    private final Set<OpenStream> openStreams = ConcurrentHashMap.newKeySet();

    /** @param parts the Kafka parts; until they are open, every call is answered UNAVAILABLE */
    PredictionHandler(OpenedParts parts, Counters counters, ServingMetrics metrics, RolloutPolicy rollout,
                      String modelName, String modelsTopic, int batchMaxSize, BooleanSupplier shuttingDown,
                      InstantSource clock) {
        this.parts = parts;
        this.counters = counters;
        this.metrics = metrics;
        this.rollout = rollout;
        this.modelName = modelName;
        this.modelsTopic = modelsTopic;
        this.batchMaxSize = batchMaxSize;
        this.shuttingDown = shuttingDown;
        this.clock = clock;
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> responses) {
        if (Context.current().isCancelled()) {
            return; // the deadline passed or the caller left while the call was queued: do no work
        }
        long start = System.nanoTime();
        // No shutdown check: the server stops accepting calls when it shuts down, and a call it accepted before
        // is answered (and logged) within serving.shutdown.grace.ms.
        RequestValidator.validate(request, "");
        PredictResponse response = record(score(request));
        responses.onNext(response);
        responses.onCompleted();
        metrics.answered("Predict", response.getModelVersion(), start);
    }

    @Override
    public void predictBatch(PredictBatchRequest batch, StreamObserver<PredictBatchResponse> responses) {
        if (Context.current().isCancelled()) {
            return;
        }
        long start = System.nanoTime();
        if (batch.getRequestsCount() > batchMaxSize) {
            throw new InvalidRequestException(String.format("the batch holds %d requests, more than the %d this "
                + "server accepts (serving.batch.max.size); split it into smaller batches.",
                batch.getRequestsCount(), batchMaxSize));
        }
        // Validate everything before scoring anything, and log only once every request has been scored: a refused
        // batch must leave nothing in the prediction log, whose entries become training examples.
        for (int i = 0; i < batch.getRequestsCount(); i++) {
            RequestValidator.validate(batch.getRequests(i), "requests[" + i + "]: ");
        }
        if (parts.get().models().current() == null) {
            logUnanswered(batch);
            throw notReady();
        }
        List<Scored> scored = new ArrayList<>(batch.getRequestsCount());
        for (int i = 0; i < batch.getRequestsCount(); i++) {
            if (Context.current().isCancelled()) {
                // The deadline passed mid-batch: nobody will read the answers, so stop scoring and log none.
                log.debug("Stopped a batch of {} after {} requests: the call was cancelled or its deadline passed.",
                    batch.getRequestsCount(), i);
                return;
            }
            try {
                scored.add(score(batch.getRequests(i)));
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException("requests[" + i + "]: " + e.getMessage());
            }
        }
        if (Context.current().isCancelled()) {
            return; // the deadline passed as the last request was scored: log none of the answers nobody reads
        }
        PredictBatchResponse.Builder answer = PredictBatchResponse.newBuilder();
        for (PredictResponse response : recordAll(scored)) {
            answer.addResponses(response);
        }
        responses.onNext(answer.build());
        responses.onCompleted();
        if (answer.getResponsesCount() > 0) {
            metrics.answered("PredictBatch", answer.getResponses(answer.getResponsesCount() - 1).getModelVersion(),
                start);
        }
    }

    @Override
    public StreamObserver<PredictRequest> predictStream(StreamObserver<PredictResponse> responses) {
        ServerCallStreamObserver<PredictResponse> out = (ServerCallStreamObserver<PredictResponse>) responses;
        OpenStream stream = new OpenStream(out);
        // Read more requests only while the caller keeps up with the answers, so a client that stops reading
        // cannot make the server buffer responses without bound.
        out.disableAutoRequest();
        out.setOnReadyHandler(stream::onReady);
        openStreams.add(stream);
        out.setOnCancelHandler(() -> openStreams.remove(stream));
        stream.requestMore();
        return stream;
    }

    /**
     * Ends every open PredictStream with UNAVAILABLE so that callers reconnect elsewhere; a message being scored
     * is answered first. Called on shutdown, after the server stops accepting calls.
     */
    void endStreams() {
        for (OpenStream stream : openStreams) {
            stream.end(new ShuttingDownException("this serving instance is shutting down; reopen the stream on "
                + "another instance (every request answered so far was logged)."));
        }
    }

    /**
     * One PredictStream. The call's callbacks arrive one at a time, but {@link #endStreams} comes from the closing
     * thread, so every use of the response observer holds this object's lock.
     */
    private final class OpenStream implements StreamObserver<PredictRequest> {
        // Requests asked of the transport ahead of the one being scored. Each ask is a task handed to the
        // transport's thread, so asking for several at a time, rather than one per message as grpc-java's stubs
        // do, saves a thread wake-up per message; the window keeps what a stream can make the server buffer small.
        private static final int WINDOW = 8;

        private final ServerCallStreamObserver<PredictResponse> out;
        private long position;
        private boolean ended;
        private boolean wantsMore;
        private int requested; // asked of the transport, not yet received

        OpenStream(ServerCallStreamObserver<PredictResponse> out) {
            this.out = out;
        }

        @Override
        public synchronized void onNext(PredictRequest request) {
            if (ended) {
                return;
            }
            long start = System.nanoTime();
            long index = position++;
            requested--;
            PredictResponse response;
            try {
                refuseWhenShuttingDown();
                try {
                    RequestValidator.validate(request, "");
                    response = record(score(request));
                } catch (InvalidRequestException e) {
                    // Built only on failure: formatting on every message costs more than scoring it.
                    throw new InvalidRequestException(String.format("message %d (request_id '%s'): %s", index,
                        request.getRequestId(), e.getMessage()));
                }
            } catch (RuntimeException e) {
                end(e);
                return;
            }
            out.onNext(response);
            metrics.answered("PredictStream", response.getModelVersion(), start);
            if (out.isReady()) {
                if (requested <= WINDOW / 2) {
                    requestMore();
                }
            } else {
                wantsMore = true;
            }
        }

        synchronized void onReady() {
            if (wantsMore && !ended) {
                wantsMore = false;
                requestMore();
            }
        }

        synchronized void requestMore() {
            out.request(WINDOW - requested);
            requested = WINDOW;
        }

        synchronized void end(RuntimeException why) {
            if (ended) {
                return;
            }
            ended = true;
            openStreams.remove(this);
            if (!out.isCancelled()) {
                out.onError(ServingStatusMapping.streamEnd(why).asRuntimeException());
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            ended = true; // the caller cancelled or its deadline passed; nothing to answer
            openStreams.remove(this);
        }

        @Override
        public synchronized void onCompleted() {
            openStreams.remove(this);
            if (!ended) {
                ended = true;
                out.onCompleted();
            }
        }
    }

    private void refuseWhenShuttingDown() {
        if (shuttingDown.getAsBoolean()) {
            throw new ShuttingDownException("this serving instance is shutting down; retry on another instance.");
        }
    }

    /**
     * One scored request: its answer and what the prediction log will hold for it (the champion's or challenger's
     * answer, and in shadow mode the challenger's opinion), not yet logged.
     */
    private record Scored(PredictResponse response, LoggedPrediction answer, String role, LoggedPrediction shadow,
                          long shadowVersion) {
    }

    /** Logs one scored request, then counts it; returns its answer. */
    private PredictResponse record(Scored scored) {
        parts.get().predictionLog().append(scored.shadow() == null ? List.of(scored.answer())
            : List.of(scored.answer(), scored.shadow()));
        counted(scored);
        return scored.response();
    }

    /** Logs every scored request of a call, then counts them; returns their answers in order. */
    private List<PredictResponse> recordAll(List<Scored> scored) {
        List<LoggedPrediction> entries = new ArrayList<>(scored.size() + 1);
        for (Scored one : scored) {
            entries.add(one.answer());
            if (one.shadow() != null) {
                entries.add(one.shadow());
            }
        }
        parts.get().predictionLog().append(entries);
        List<PredictResponse> answers = new ArrayList<>(scored.size());
        for (Scored one : scored) {
            counted(one);
            answers.add(one.response());
        }
        return answers;
    }

    private void counted(Scored scored) {
        counters.entitiesScored.increment();
        metrics.predicted(scored.response().getModelVersion(), scored.role());
        if (scored.shadow() != null) {
            metrics.predicted(scored.shadowVersion(), "challenger_shadow");
        }
    }

    /**
     * Scores one validated request; logs nothing unless no model has loaded.
     *
     * @throws ModelNotReadyException if no model has loaded (the request is logged as unanswered first)
     * @throws InvalidRequestException if the model knows none of the request's features
     */
    private Scored score(PredictRequest request) {
        String requestId = request.getRequestId().isEmpty() ? UUID.randomUUID().toString() : request.getRequestId();
        String entityId = request.getEntityId();
        ModelWatcher.Serving serving = parts.get().models().serving();
        Map<String, Double> merged = merged(request);
        boolean known = merged != null;
        if (!known) {
            merged = RequestFeatures.mergeInto(new HashMap<>(), request.getFieldsMap());
        }
        if (serving.champion() == null) {
            // Log what was asked even though nothing could answer it: the label join needs these features to
            // make the examples that train the very first version (model_version 0 marks "no model").
            parts.get().predictionLog().append(List.of(LoggedPrediction.unanswered(requestId, entityId, merged, known, modelName,
                clock.millis())));
            throw notReady();
        }
        ServedModel challenger = serving.challenger();
        boolean toChallenger = challenger != null && rollout.routesToChallenger(entityId);
        ServedModel model = toChallenger ? challenger : serving.champion();
        ModelRole role = toChallenger ? ModelRole.CHALLENGER : ModelRole.CHAMPION;
        Prediction<Label> prediction = model.score(merged);
        PredictResponse.Builder response = PredictResponse.newBuilder()
            .setRequestId(requestId)
            .setLabel(prediction.getOutput().getLabel())
            .setScore(prediction.getOutput().getScore())
            .setModel(modelName)
            .setModelVersion(model.version())
            .setModelRole(role)
            .setEntityKnown(known);
        if (model.isRegression()) {
            response.setValue(prediction.getOutput().getScore());
        }
        if (!request.getOmitClassProbabilities()) {
            prediction.getOutputScores().forEach((label, score) ->
                response.putClassProbabilities(label, score.getScore()));
        }
        if (request.getIncludeFeatures()) {
            response.putAllFeatures(merged);
        }
        long servedAtMs = clock.millis();
        LoggedPrediction answer = LoggedPrediction.answered(requestId, entityId, merged, known, modelName, servedAtMs,
            model, role, false, prediction);
        LoggedPrediction shadow = challenger != null && rollout.shadows()
            ? shadowScore(requestId, entityId, merged, known, challenger, servedAtMs) : null;
        if (log.isDebugEnabled()) {
            log.debug("Predicted '{}' for request '{}' with model '{}' v{} ({}).", response.getLabel(), requestId,
                modelName, model.version(), role);
        }
        return new Scored(response.build(), answer, toChallenger ? "challenger" : "champion", shadow,
            challenger == null ? 0 : challenger.version());
    }

    // The entity's stored features with the request's fields merged over them; null when the entity is unknown.
    // Owned by this request and never modified once merged, so the log's writer thread may read it later.
    private Map<String, Double> merged(PredictRequest request) {
        HashMap<String, Double> stored = parts.get().features().lookup(request.getEntityId(), request.getFieldsCount());
        return stored == null ? null : RequestFeatures.mergeInto(stored, request.getFieldsMap());
    }

    // The challenger's opinion, logged beside the champion's answer; it must never fail or change the answer.
    private LoggedPrediction shadowScore(String requestId, String entityId, Map<String, Double> merged,
                                         boolean known, ServedModel challenger, long servedAtMs) {
        try {
            Prediction<Label> shadow = challenger.score(merged);
            return LoggedPrediction.answered(requestId, entityId, merged, known, modelName, servedAtMs, challenger,
                ModelRole.CHALLENGER, true, shadow);
        } catch (RuntimeException e) {
            log.debug("The shadow challenger v{} could not score request '{}': {}", challenger.version(), requestId,
                e.getMessage());
            return null;
        }
    }

    // Every request of a batch that came before any model, logged so its label can train the first version.
    private void logUnanswered(PredictBatchRequest batch) {
        for (PredictRequest request : batch.getRequestsList()) {
            try {
                score(request);
            } catch (ModelNotReadyException e) {
                // expected: the entry is logged, the caller is told once for the whole batch
            }
        }
    }

    private ModelNotReadyException notReady() {
        return new ModelNotReadyException(String.format("no version of model '%s' has been published yet; retry "
            + "after the trainer (or an operator) publishes one to topic '%s'.", modelName, modelsTopic));
    }
}
