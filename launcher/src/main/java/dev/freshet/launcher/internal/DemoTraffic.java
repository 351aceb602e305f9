package dev.freshet.launcher.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The demo's application side: produces the synthetic events, calls {@code Predict} over gRPC for each valid one
 * right after producing it, and sends its label to the labels topic after a random delay of 0.5-3 s, as a label
 * source would once the outcome is known. Everything it reports is counted as it happens.
 */
final class DemoTraffic implements AutoCloseable {
    private static final int MAX_IN_FLIGHT = 64;
    private static final int RECENT_EXAMPLES = 1000;
    private static final long MIN_LABEL_DELAY_MS = 500;
    private static final long MAX_LABEL_DELAY_MS = 3000;

    private final SyntheticStream stream;
    private final KafkaProducer<String, String> producer;
    private final String eventsTopic;
    private final String labelsTopic;
    private final PredictionServiceGrpc.PredictionServiceStub stub;
    private final ScheduledExecutorService labelScheduler =
        Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "freshet-demo-labels"));
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final SendResults sends = new SendResults();
    private final SplittableRandom delays;

    private final Map<SyntheticStream.Kind, LongAdder> produced = new EnumMap<>(SyntheticStream.Kind.class);
    private final LongAdder predictionsServed = new LongAdder();
    private final Map<String, LongAdder> predictionFailures = new ConcurrentHashMap<>();
    private final LongAdder labelsSent = new LongAdder();
    private final LongAdder positiveLabels = new LongAdder();
    private final AtomicLong lastServedVersion = new AtomicLong();
    private final Map<Long, LongAdder> predictionsByVersion = new ConcurrentHashMap<>();
    private final List<Long> latenciesMicros = new ArrayList<>();
    private final Deque<BadVersionInjector.LabelledFeatures> recent = new ArrayDeque<>();

    DemoTraffic(long seed, int entities, KafkaProducer<String, String> producer, String eventsTopic, String labelsTopic,
                ManagedChannel channel) {
        this.stream = new SyntheticStream(seed, entities);
        this.delays = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.producer = producer;
        this.eventsTopic = eventsTopic;
        this.labelsTopic = labelsTopic;
        this.stub = PredictionServiceGrpc.newStub(channel);
        for (SyntheticStream.Kind kind : SyntheticStream.Kind.values()) {
            produced.put(kind, new LongAdder());
        }
    }

    /** Sends one event and, when it is valid, its Predict call; blocks only while 64 calls are in flight. */
    void sendNext() throws InterruptedException {
        SyntheticStream.Event event = stream.next(System.currentTimeMillis());
        producer.send(new ProducerRecord<>(eventsTopic, event.entityId(), event.json()), sends.callback());
        produced.get(event.kind()).increment();
        if (event.kind() == SyntheticStream.Kind.VALID) {
            inFlight.acquire();
            predict(event);
        }
    }

    /**
     * Sends {@code span} of past events at {@code eventsPerSecond}, as fast as the broker takes them, with no
     * Predict calls and no labels: the history an application would already have, so that the entities' windows
     * are full when live traffic starts instead of filling up while the monitor takes its drift reference.
     *
     * @return how many of the events were valid, i.e. how many feature vectors they make
     */
    long sendHistory(Duration span, int eventsPerSecond) {
        long count = span.toSeconds() * eventsPerSecond;
        long valid = 0;
        long start = System.currentTimeMillis() - span.toMillis();
        for (long i = 0; i < count; i++) {
            SyntheticStream.Event event = stream.next(start + i * 1000 / eventsPerSecond);
            producer.send(new ProducerRecord<>(eventsTopic, event.entityId(), event.json()), sends.callback());
            produced.get(event.kind()).increment();
            valid += event.kind() == SyntheticStream.Kind.VALID ? 1 : 0;
        }
        producer.flush();
        return valid;
    }

    /** What Kafka answered to the events and labels sent so far; final once the producer is closed. */
    SendResults sends() {
        return sends;
    }

    void drift() {
        stream.drift();
    }

    boolean isDrifted() {
        return stream.drifted();
    }

    private void predict(SyntheticStream.Event event) {
        PredictRequest request = PredictRequest.newBuilder()
            .setRequestId(event.eventId())
            .setEntityId(event.entityId())
            .putFields("amount", FieldValue.newBuilder().setNumberValue(event.amount()).build())
            .putFields("velocity", FieldValue.newBuilder().setNumberValue(event.velocity()).build())
            .putFields("channel", FieldValue.newBuilder().setStringValue(event.channel()).build())
            .putFields("is_new_device", FieldValue.newBuilder().setBoolValue(event.newDevice()).build())
            .setIncludeFeatures(true)
            .build();
        long startNs = System.nanoTime();
        stub.withDeadlineAfter(5, TimeUnit.SECONDS).predict(request, new StreamObserver<>() {
            @Override
            public void onNext(PredictResponse response) {
                long micros = (System.nanoTime() - startNs) / 1_000;
                predictionsServed.increment();
                predictionsByVersion.computeIfAbsent(response.getModelVersion(), v -> new LongAdder()).increment();
                lastServedVersion.set(response.getModelVersion());
                synchronized (latenciesMicros) {
                    latenciesMicros.add(micros);
                }
                rememberForInjection(response.getFeaturesMap(), event.label());
            }

            @Override
            public void onError(Throwable t) {
                inFlight.release();
                predictionFailures.computeIfAbsent(Status.fromThrowable(t).getCode().name(), c -> new LongAdder())
                    .increment();
                // The outcome happens whether or not the app got a score; the label join keeps what it cannot match.
                scheduleLabel(event);
            }

            @Override
            public void onCompleted() {
                inFlight.release();
                scheduleLabel(event);
            }
        });
    }

    private void scheduleLabel(SyntheticStream.Event event) {
        long delayMs = MIN_LABEL_DELAY_MS + delays.nextLong(MAX_LABEL_DELAY_MS - MIN_LABEL_DELAY_MS);
        String json = "{\"request_id\":\"" + event.eventId() + "\",\"label\":\"" + event.label() + "\"}";
        labelScheduler.schedule(() -> {
            producer.send(new ProducerRecord<>(labelsTopic, event.eventId(), json), sends.callback());
            labelsSent.increment();
            if ("1".equals(event.label())) {
                positiveLabels.increment();
            }
        }, delayMs, TimeUnit.MILLISECONDS);
    }

    private void rememberForInjection(Map<String, Double> features, String label) {
        synchronized (recent) {
            recent.addLast(new BadVersionInjector.LabelledFeatures(Map.copyOf(features), label));
            if (recent.size() > RECENT_EXAMPLES) {
                recent.removeFirst();
            }
        }
    }

    List<BadVersionInjector.LabelledFeatures> recentExamples() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    long eventsProduced() {
        return produced.values().stream().mapToLong(LongAdder::sum).sum();
    }

    Map<String, Long> eventsProducedByKind() {
        Map<String, Long> byKind = new TreeMap<>();
        produced.forEach((kind, count) -> byKind.put(kind.name(), count.sum()));
        return byKind;
    }

    long predictionsServed() {
        return predictionsServed.sum();
    }

    Map<String, Long> predictionFailures() {
        Map<String, Long> byCode = new TreeMap<>();
        predictionFailures.forEach((code, count) -> byCode.put(code, count.sum()));
        return byCode;
    }

    Map<Long, Long> predictionsByVersion() {
        Map<Long, Long> byVersion = new TreeMap<>();
        predictionsByVersion.forEach((version, count) -> byVersion.put(version, count.sum()));
        return byVersion;
    }

    long labelsSent() {
        return labelsSent.sum();
    }

    /** The accuracy of always answering the commoner label, over the labels sent; null before any. */
    Double majorityClassRate() {
        long total = labelsSent.sum();
        if (total == 0) {
            return null;
        }
        double positive = (double) positiveLabels.sum() / total;
        return Math.max(positive, 1 - positive);
    }

    long lastServedVersion() {
        return lastServedVersion.get();
    }

    /** Latency percentile in milliseconds over every successful call so far; NaN before the first. */
    double latencyPercentileMs(double percentile) {
        long[] sorted;
        synchronized (latenciesMicros) {
            sorted = latenciesMicros.stream().mapToLong(Long::longValue).toArray();
        }
        if (sorted.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(sorted);
        int index = (int) Math.min(sorted.length - 1, Math.ceil(percentile / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }

    /** Waits for in-flight calls and for every scheduled label to be sent, up to {@code timeout}. */
    void drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.availablePermits() < MAX_IN_FLIGHT && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        labelScheduler.shutdown();
        labelScheduler.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        producer.flush();
    }

    @Override
    public void close() {
        labelScheduler.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
