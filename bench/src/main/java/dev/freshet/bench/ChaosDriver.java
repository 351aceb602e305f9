package dev.freshet.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The application side of the chaos suite: a known, seeded stream of card events (a few malformed), a Predict call
 * over gRPC for each valid one, and its label shortly after the call ends, as a label source would send it whether
 * or not the app got a score. Every send goes through {@link CheckedSends}; every call's outcome is kept for the
 * audit. Predict calls and labels run on their own threads, so a component's outage never stalls the stream.
 */
final class ChaosDriver implements AutoCloseable {
    private static final int MAX_IN_FLIGHT = 64;
    private static final double MALFORMED_SHARE = 0.02;
    private static final String[] CHANNELS = {"web", "pos", "app"};

    /** A valid event the audit expects exactly one feature vector for. */
    record SentEvent(int index, String eventId, String entityId, long eventTimeMs) {
    }

    /** One Predict call's end: answered with a version, or failed with a gRPC code. */
    record CallOutcome(boolean answered, long modelVersion, String failureCode) {
    }

    /** A serving kill and what the callers saw until the restarted server answered again. */
    static final class ServingOutage {
        final int killNumber;
        final long killedAtNs;
        volatile long firstResponseNs = -1;
        volatile long firstAnswerNs = -1;
        final LongAdder failedCalls = new LongAdder();
        final Map<String, LongAdder> failuresByCode = new ConcurrentHashMap<>();

        ServingOutage(int killNumber, long killedAtNs) {
            this.killNumber = killNumber;
            this.killedAtNs = killedAtNs;
        }
    }

    private final SplittableRandom random;
    private final KafkaProducer<String, String> producer;
    private final CheckedSends sends = new CheckedSends("the chaos suite's events and labels");
    private final String eventsTopic;
    private final String labelsTopic;
    private final PredictionServiceGrpc.PredictionServiceStub stub;
    private final int entities;
    private final long baseTimeMs;
    private final long stepMs;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final ScheduledExecutorService labelScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chaos-labels");
        t.setDaemon(true);
        return t;
    });

    final List<SentEvent> validEvents = new ArrayList<>();
    final LongAdder malformedEvents = new LongAdder();
    final Map<String, CallOutcome> outcomes = new ConcurrentHashMap<>();
    final Set<String> labelled = ConcurrentHashMap.newKeySet();
    final Map<String, LongAdder> failuresByCode = new ConcurrentHashMap<>();
    final List<ServingOutage> servingOutages = new ArrayList<>();
    private volatile ServingOutage openOutage;

    ChaosDriver(long seed, int entities, int eventsPerSecond, KafkaProducer<String, String> producer,
                String eventsTopic, String labelsTopic, ManagedChannel serving) {
        this.random = new SplittableRandom(seed);
        this.producer = producer;
        this.eventsTopic = eventsTopic;
        this.labelsTopic = labelsTopic;
        this.stub = PredictionServiceGrpc.newStub(serving);
        this.entities = entities;
        this.baseTimeMs = System.currentTimeMillis();
        // Event times step strictly forward, so an entity's events never share a time: (entity, event time) then
        // names one event, and its feature vector, in the audit.
        this.stepMs = Math.max(1, 1000 / eventsPerSecond);
    }

    /** Sends event {@code index}, and when it is valid, its Predict call; blocks only while 64 calls are open. */
    void sendEvent(int index) throws InterruptedException {
        String entityId = "card-" + random.nextInt(entities);
        long eventTimeMs = baseTimeMs + index * stepMs;
        double amount = Math.round(random.nextDouble() * 20_000) / 100.0;
        int velocity = random.nextInt(10);
        String channel = CHANNELS[random.nextInt(CHANNELS.length)];
        boolean newDevice = random.nextDouble() < 0.1;
        if (random.nextDouble() < MALFORMED_SHARE) {
            sends.send(producer, new ProducerRecord<>(eventsTopic, entityId,
                "{\"entity_id\":\"" + entityId + "\",\"event_time\":" + eventTimeMs + ",\"amount\":"));
            malformedEvents.increment();
            return;
        }
        String eventId = "ev-" + index;
        sendValid(entityId, eventTimeMs, amount, velocity, channel, newDevice);
        validEvents.add(new SentEvent(index, eventId, entityId, eventTimeMs));
        String label = (amount > 150 && velocity > 4) || (newDevice && amount > 100) ? "1" : "0";
        inFlight.acquire();
        predict(eventId, entityId, amount, velocity, channel, newDevice, label);
    }

    /** Sends one valid event outside the known stream (the hazards' canaries); no Predict call. */
    void sendValid(String entityId, long eventTimeMs, double amount, int velocity, String channel,
                   boolean newDevice) {
        sends.send(producer, new ProducerRecord<>(eventsTopic, entityId, String.format(java.util.Locale.ROOT,
            "{\"entity_id\":\"%s\",\"event_time\":%d,\"amount\":%.2f,\"velocity\":%d,\"channel\":\"%s\","
                + "\"is_new_device\":%b}", entityId, eventTimeMs, amount, velocity, channel, newDevice)));
    }

    /** Sends a raw event value as it is (the poison pill). */
    void sendRaw(String key, String value) {
        sends.send(producer, new ProducerRecord<>(eventsTopic, key, value));
    }

    /** The next event time of the known stream after {@code events} events: canaries continue the timeline. */
    long eventTimeAfter(int events) {
        return baseTimeMs + (long) events * stepMs;
    }

    private void predict(String requestId, String entityId, double amount, int velocity, String channel,
                         boolean newDevice, String label) {
        PredictRequest request = PredictRequest.newBuilder()
            .setRequestId(requestId)
            .setEntityId(entityId)
            .putFields("amount", FieldValue.newBuilder().setNumberValue(amount).build())
            .putFields("velocity", FieldValue.newBuilder().setNumberValue(velocity).build())
            .putFields("channel", FieldValue.newBuilder().setStringValue(channel).build())
            .putFields("is_new_device", FieldValue.newBuilder().setBoolValue(newDevice).build())
            .build();
        stub.withDeadlineAfter(3, TimeUnit.SECONDS).predict(request, new StreamObserver<>() {
            @Override
            public void onNext(PredictResponse response) {
                outcomes.put(requestId, new CallOutcome(true, response.getModelVersion(), null));
                ServingOutage outage = openOutage;
                if (outage != null) {
                    long now = System.nanoTime();
                    if (outage.firstResponseNs < 0) {
                        outage.firstResponseNs = now;
                    }
                    outage.firstAnswerNs = now;
                    openOutage = null;
                }
            }

            @Override
            public void onError(Throwable t) {
                String code = Status.fromThrowable(t).getCode().name();
                outcomes.put(requestId, new CallOutcome(false, 0, code));
                failuresByCode.computeIfAbsent(code, c -> new LongAdder()).increment();
                ServingOutage outage = openOutage;
                if (outage != null) {
                    Status.Code status = Status.fromThrowable(t).getCode();
                    if (outage.firstResponseNs < 0 && status != Status.Code.UNAVAILABLE
                            && status != Status.Code.DEADLINE_EXCEEDED) {
                        outage.firstResponseNs = System.nanoTime();
                    }
                    outage.failedCalls.increment();
                    outage.failuresByCode.computeIfAbsent(code, c -> new LongAdder()).increment();
                }
                ended();
            }

            @Override
            public void onCompleted() {
                ended();
            }

            private void ended() {
                inFlight.release();
                // Label delays need not repeat between runs; the calls' outcomes do not either.
                long delayMs = ThreadLocalRandom.current().nextLong(300, 1000);
                labelScheduler.schedule(() -> {
                    sends.send(producer, new ProducerRecord<>(labelsTopic, requestId,
                        "{\"request_id\":\"" + requestId + "\",\"label\":\"" + label + "\"}"));
                    labelled.add(requestId);
                }, delayMs, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** Serving was just killed: count what callers see until it answers again. */
    void servingKilled(int killNumber) {
        ServingOutage outage = new ServingOutage(killNumber, System.nanoTime());
        synchronized (servingOutages) {
            servingOutages.add(outage);
        }
        openOutage = outage;
    }

    /**
     * Waits until every Predict call has ended and every label has been sent, then until every send is
     * acknowledged.
     *
     * @throws IllegalStateException when a send failed: the audit would count inputs that never arrived
     */
    void finish(Duration timeout) throws InterruptedException {
        if (!inFlight.tryAcquire(MAX_IN_FLIGHT, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("Predict calls still open " + timeout.toSeconds()
                + " s after the last event, although each has a 3 s deadline");
        }
        inFlight.release(MAX_IN_FLIGHT);
        labelScheduler.shutdown();
        if (!labelScheduler.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("Labels still unsent " + timeout.toSeconds() + " s after the last call");
        }
        sends.flushAndCheck(producer);
    }

    /** Flushes and checks the sends made after {@link #finish} (the hazards'). */
    void flushAndCheck() {
        sends.flushAndCheck(producer);
    }

    Map<String, Long> failuresByCode() {
        Map<String, Long> byCode = new TreeMap<>();
        failuresByCode.forEach((code, n) -> byCode.put(code, n.sum()));
        return byCode;
    }

    @Override
    public void close() {
        labelScheduler.shutdownNow();
    }
}
