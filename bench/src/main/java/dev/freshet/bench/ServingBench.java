package dev.freshet.bench;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import com.google.protobuf.ByteString;
import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.FeatureEncoding;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionServiceGrpc;
import dev.freshet.serving.ScoringServer;
import dev.freshet.serving.ServingConfig;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Freshet's Predict (feature lookup in the local replica, request-field merge, Tribuo scoring, prediction log to
 * Kafka) against an empty grpc-java handler of the same service answering a prebuilt response, both on Netty
 * over loopback, in one run: unary and bidirectional streaming, closed-loop throughput and open-loop latency at
 * the same offered load; then hot swaps under load; then the cost of each prediction-log durability mode. Client and
 * servers share the JVM and the machine's cores.
 * Usage: {@code bench/run ServingBench [SECONDS_PER_PHASE] [OFFERED_PER_SECOND]}.
 */
public final class ServingBench {
    private static final int ENTITIES = 10_000;
    private static final int CLOSED_LOOP_OUTSTANDING = 32;
    private static final int STREAMS = 4;
    private static final int ROUNDS = 5;
    private static final int DURABILITY_ROUNDS = 3;
    private static final String VIEW = "bench";
    /** The model serving answers with unless told otherwise. */
    private static final String MODEL = ServingConfig.MODEL_NAME_DEFAULT;
    private static final String[] FEATURES = {"amount", "amount_avg_1h", "velocity",
        FeatureEncoding.oneHotName("channel", "web"), FeatureEncoding.oneHotName("channel", "app"), "is_new_device"};

    private ServingBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int offeredArg = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        BenchReport report = new BenchReport("ServingBench", args);
        PredictRequest[] requests = requests();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            TopicLayout layout = new TopicLayout("bench.");
            KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
            BenchTopics.create(clients, layout, Topic.FEATURES, Topic.MODELS, Topic.COMMANDS, Topic.PREDICTIONS);
            KafkaProducer<String, byte[]> producer = clients.idempotentProducer(null, Map.of("linger.ms", 20),
                new StringSerializer(), new ByteArraySerializer());
            CheckedSends sends = new CheckedSends("the feature vectors and model versions");
            Random random = new Random(3);
            for (int i = 0; i < ENTITIES; i++) {
                String entity = "u-" + i;
                sends.send(producer, new ProducerRecord<>(layout.name(Topic.FEATURES),
                    RecordKeys.featureKey(VIEW, entity), FeatureVector.newBuilder()
                    .setEntityId(entity).setView(VIEW).putValues("amount_avg_1h", random.nextDouble())
                    .putValues("velocity", random.nextDouble()).putValues("events_10m", random.nextInt(20))
                    .build().toByteArray()));
            }
            byte[][] models = {modelBytes(1), modelBytes(2), modelBytes(3)};
            Publisher publisher = new Publisher(sends, producer, layout);
            publisher.publish(1, models[0]);
            publisher.flushAndCheck();

            Map<String, Object> props = new HashMap<>();
            props.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, clients.bootstrapServers());
            props.put(CommonConfig.TOPICS_PREFIX_CONFIG, layout.prefix());
            props.put("serving.port", 0);
            try (ScoringServer freshet = ScoringServer.start(props)) {
                await(() -> freshet.stats().currentModelVersion() == 1
                    && freshet.stats().featureVectorsReplicated() >= ENTITIES);
                Server empty = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                    .addService(new EmptyHandler()).build().start();
                ManagedChannel toFreshet = channel(freshet.port());
                ManagedChannel toEmpty = channel(empty.getPort());
                try {
                    report.line("Freshet `Predict` (feature lookup in the RocksDB replica of %d entities, merge, "
                        + "Tribuo linear model, prediction logged to Kafka in the default `"
                        + ServingConfig.PREDICTION_LOG_DURABILITY_DEFAULT + "` durability mode) vs an empty grpc-java handler of the "
                        + "same service answering a prebuilt response. Same request shape (entity id, 4 fields), "
                        + "Netty over loopback, plaintext, one client JVM shared with both servers and the "
                        + "broker. %d rounds, each measuring the empty handler then Freshet for %d s per phase; the table "
                        + "gives the median round (by ratio). Offered load: half the smaller of the two throughputs "
                        + "measured in that round.", ENTITIES, ROUNDS, seconds);
                    report.line("");
                    // Warm both paths (JIT, connections, the replica's block cache).
                    closedLoopUnary(toEmpty, requests, 5);
                    closedLoopUnary(toFreshet, requests, 5);
                    closedLoopStream(toEmpty, requests, 4);
                    closedLoopStream(toFreshet, requests, 4);

                    report.line("| transport | measure | empty handler | Freshet | ratio | target |");
                    report.line("| --- | --- | ---: | ---: | ---: | --- |");
                    compare(report, "unary", toEmpty, toFreshet, requests, seconds, offeredArg, false);
                    compare(report, "stream", toEmpty, toFreshet, requests, seconds, offeredArg, true);
                    report.line("");
                    report.line("Latency is measured from each request's scheduled send time (open loop, so a "
                        + "stall delays every request behind it and is counted), to its answer.");
                    report.line("");

                    int offered = offeredArg > 0 ? offeredArg : (int) (0.5 * closedLoopUnary(toFreshet, requests, 2));
                    hotSwap(report, freshet, toFreshet, publisher, models, requests, offered);
                    report.line("");
                    durability(report, props, freshet, toFreshet, requests, seconds);
                } finally {
                    toFreshet.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                    toEmpty.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                    empty.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            } finally {
                producer.close();
            }
        }
        report.write();
    }

    /** Throughput, then latency at an offered load both can carry, in alternating rounds; the median ratios. */
    private static void compare(BenchReport report, String transport, ManagedChannel toEmpty,
                                ManagedChannel toFreshet, PredictRequest[] requests, int seconds, int offeredArg,
                                boolean stream) throws InterruptedException {
        List<double[]> throughputs = new ArrayList<>();
        List<Object[]> latencies = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            long cpuBefore = processCpuNanos();
            long wallBefore = System.nanoTime();
            double empty = stream ? closedLoopStream(toEmpty, requests, seconds)
                : closedLoopUnary(toEmpty, requests, seconds);
            double emptyCpu = cpuMicrosPerCall(cpuBefore, wallBefore, empty);
            cpuBefore = processCpuNanos();
            wallBefore = System.nanoTime();
            double freshet = stream ? closedLoopStream(toFreshet, requests, seconds)
                : closedLoopUnary(toFreshet, requests, seconds);
            double freshetCpu = cpuMicrosPerCall(cpuBefore, wallBefore, freshet);
            throughputs.add(new double[] {empty, freshet, emptyCpu, freshetCpu});
            int offered = offeredArg > 0 ? offeredArg : (int) (0.5 * Math.min(empty, freshet));
            Latencies emptyOpen = stream ? openLoopStream(toEmpty, requests, offered, seconds)
                : openLoopUnary(toEmpty, requests, offered, seconds);
            Latencies freshetOpen = stream ? openLoopStream(toFreshet, requests, offered, seconds)
                : openLoopUnary(toFreshet, requests, offered, seconds);
            latencies.add(new Object[] {offered, emptyOpen, freshetOpen});
            System.out.printf("round %d %s: throughput %.0f vs %.0f; p99 at %d/s %.3f vs %.3f ms%n", round,
                transport, empty, freshet, offered, emptyOpen.percentile(99), freshetOpen.percentile(99));
        }
        throughputs.sort(java.util.Comparator.comparingDouble(t -> t[1] / t[0]));
        double[] t = throughputs.get(ROUNDS / 2);
        report.line("| %s | max throughput, %s | %.0f | %.0f | %.2fx | >= 0.8x |", transport,
            stream ? STREAMS + " streams x " + CLOSED_LOOP_OUTSTANDING / STREAMS + " in flight (msg/s)"
                : CLOSED_LOOP_OUTSTANDING + " outstanding (req/s)", t[0], t[1], t[1] / t[0]);
        report.line("| %s | CPU of the whole JVM per answer at max throughput (us; client, server, broker) | %.1f "
            + "| %.1f | %.2fx | |", transport, t[2], t[3], t[3] / t[2]);
        latencies.sort(java.util.Comparator.comparingDouble(
            l -> ((Latencies) l[2]).percentile(99) / ((Latencies) l[1]).percentile(99)));
        Object[] median = latencies.get(ROUNDS / 2);
        latencyRows(report, transport, (int) median[0], (Latencies) median[1], (Latencies) median[2]);
        report.line("| %s | throughput ratio / p99 ratio in each round | | | %s | |", transport,
            String.join(", ", throughputs.stream().map(r -> String.format("%.2f", r[1] / r[0])).toList()) + " / "
                + String.join(", ", latencies.stream().map(l -> String.format("%.2f",
                    ((Latencies) l[2]).percentile(99) / ((Latencies) l[1]).percentile(99))).toList()));
    }

    // The same server in the other serving.prediction.log.durability mode, on the same topics and replica data,
    // measured against the one above in alternating rounds.
    private static void durability(BenchReport report, Map<String, Object> props, ScoringServer defaultServer,
                                   ManagedChannel toDefault, PredictRequest[] requests, int seconds)
            throws InterruptedException {
        String defaultMode = ServingConfig.PREDICTION_LOG_DURABILITY_DEFAULT;
        String otherMode = defaultMode.equals("acked") ? "async" : "acked";
        Map<String, Object> otherProps = new HashMap<>(props);
        otherProps.put(ServingConfig.PREDICTION_LOG_DURABILITY_CONFIG, otherMode);
        try (ScoringServer other = ScoringServer.start(otherProps)) {
            await(() -> other.stats().currentModelVersion() > 0 && other.stats().featureVectorsReplicated() >= ENTITIES);
            ManagedChannel toOther = channel(other.port());
            try {
                ManagedChannel toAsync = otherMode.equals("async") ? toOther : toDefault;
                ManagedChannel toAcked = otherMode.equals("acked") ? toOther : toDefault;
                closedLoopUnary(toOther, requests, 3);
                closedLoopStream(toOther, requests, 3);
                long failuresBefore = defaultServer.stats().predictionLogFailures() + other.stats().predictionLogFailures();
                report.line("Prediction-log durability (`serving.prediction.log.durability`, default `%s`): the same "
                    + "server in each mode, on the same broker, topics and entities. `async` answers first and "
                    + "logs within `serving.prediction.log.linger.ms` (100 ms); `acked` answers once the broker "
                    + "acknowledged the record (acks=all, idempotent, sent at once). %d rounds, each measuring "
                    + "async then acked for %d s per phase; the table gives the median round (by ratio). Offered "
                    + "load: half the smaller of the two throughputs measured in that round.", defaultMode,
                    DURABILITY_ROUNDS, seconds);
                report.line("");
                report.line("| transport | measure | async | acked | ratio |");
                report.line("| --- | --- | ---: | ---: | ---: |");
                compareDurability(report, "unary", toAsync, toAcked, requests, seconds, false);
                compareDurability(report, "stream", toAsync, toAcked, requests, seconds, true);
                report.line("");
                report.line("Prediction-log write failures during these rounds: %d.",
                    defaultServer.stats().predictionLogFailures() + other.stats().predictionLogFailures()
                        - failuresBefore);
            } finally {
                toOther.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void compareDurability(BenchReport report, String transport, ManagedChannel toAsync,
                                          ManagedChannel toAcked, PredictRequest[] requests, int seconds,
                                          boolean stream) throws InterruptedException {
        List<double[]> throughputs = new ArrayList<>();
        List<Object[]> latencies = new ArrayList<>();
        for (int round = 0; round < DURABILITY_ROUNDS; round++) {
            long cpuBefore = processCpuNanos();
            long wallBefore = System.nanoTime();
            double async = stream ? closedLoopStream(toAsync, requests, seconds)
                : closedLoopUnary(toAsync, requests, seconds);
            double asyncCpu = cpuMicrosPerCall(cpuBefore, wallBefore, async);
            cpuBefore = processCpuNanos();
            wallBefore = System.nanoTime();
            double acked = stream ? closedLoopStream(toAcked, requests, seconds)
                : closedLoopUnary(toAcked, requests, seconds);
            double ackedCpu = cpuMicrosPerCall(cpuBefore, wallBefore, acked);
            throughputs.add(new double[] {async, acked, asyncCpu, ackedCpu});
            int offered = (int) (0.5 * Math.min(async, acked));
            Latencies asyncOpen = stream ? openLoopStream(toAsync, requests, offered, seconds)
                : openLoopUnary(toAsync, requests, offered, seconds);
            Latencies ackedOpen = stream ? openLoopStream(toAcked, requests, offered, seconds)
                : openLoopUnary(toAcked, requests, offered, seconds);
            latencies.add(new Object[] {offered, asyncOpen, ackedOpen});
            System.out.printf("durability round %d %s: throughput %.0f vs %.0f; p50 %.3f vs %.3f, p99 at %d/s "
                + "%.3f vs %.3f ms%n", round, transport, async, acked, asyncOpen.percentile(50),
                ackedOpen.percentile(50), offered, asyncOpen.percentile(99), ackedOpen.percentile(99));
        }
        throughputs.sort(java.util.Comparator.comparingDouble(t -> t[1] / t[0]));
        double[] t = throughputs.get(DURABILITY_ROUNDS / 2);
        report.line("| %s | max throughput, %s | %.0f | %.0f | %.2fx |", transport,
            stream ? STREAMS + " streams x " + CLOSED_LOOP_OUTSTANDING / STREAMS + " in flight (msg/s)"
                : CLOSED_LOOP_OUTSTANDING + " outstanding (req/s)", t[0], t[1], t[1] / t[0]);
        report.line("| %s | CPU of the whole JVM per answer at max throughput (us) | %.1f | %.1f | %.2fx |",
            transport, t[2], t[3], t[3] / t[2]);
        latencies.sort(java.util.Comparator.comparingDouble(
            l -> ((Latencies) l[2]).percentile(99) / ((Latencies) l[1]).percentile(99)));
        Object[] median = latencies.get(DURABILITY_ROUNDS / 2);
        Latencies async = (Latencies) median[1];
        Latencies acked = (Latencies) median[2];
        int offered = (int) median[0];
        report.line("| %s | p50 at %d req/s offered (ms) | %.3f | %.3f | %.2fx |", transport, offered,
            async.percentile(50), acked.percentile(50), acked.percentile(50) / async.percentile(50));
        report.line("| %s | p99 at %d req/s offered (ms) | %.3f | %.3f | %.2fx |", transport, offered,
            async.percentile(99), acked.percentile(99), acked.percentile(99) / async.percentile(99));
        report.line("| %s | answered / failed at %d req/s | %d / %d | %d / %d | |", transport, offered,
            async.count(), async.failed.get(), acked.count(), acked.failed.get());
        report.line("| %s | throughput ratio / p99 ratio in each round | | | %s |", transport,
            String.join(", ", throughputs.stream().map(r -> String.format("%.2f", r[1] / r[0])).toList()) + " / "
                + String.join(", ", latencies.stream().map(l -> String.format("%.2f",
                    ((Latencies) l[2]).percentile(99) / ((Latencies) l[1]).percentile(99))).toList()));
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
            .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    // Time-based, so that other processes on the machine do not count; everything in this JVM does.
    private static double cpuMicrosPerCall(long cpuBefore, long wallBefore, double perSecond) {
        double calls = perSecond * (System.nanoTime() - wallBefore) / 1e9;
        return (processCpuNanos() - cpuBefore) / 1e3 / calls;
    }

    private static void latencyRows(BenchReport report, String transport, int offered, Latencies empty,
                                    Latencies freshet) {
        report.line("| %s | p50 at %d req/s offered (ms) | %.3f | %.3f | %.2fx | |", transport, offered,
            empty.percentile(50), freshet.percentile(50), freshet.percentile(50) / empty.percentile(50));
        report.line("| %s | p99 at %d req/s offered (ms) | %.3f | %.3f | %.2fx | <= 1.5x |", transport, offered,
            empty.percentile(99), freshet.percentile(99), freshet.percentile(99) / empty.percentile(99));
        report.line("| %s | answered / failed at %d req/s | %d / %d | %d / %d | | |", transport, offered,
            empty.count(), empty.failed.get(), freshet.count(), freshet.failed.get());
    }

    /** Publishes model versions to the models topic as an external publisher would. */
    private record Publisher(CheckedSends sends, KafkaProducer<String, byte[]> producer, TopicLayout layout) {
        void publish(long version, byte[] model) {
            sends.send(producer, new ProducerRecord<>(layout.name(Topic.MODELS), RecordKeys.versionKey(MODEL, version),
                ModelVersion.newBuilder().setModel(MODEL).setVersion(version).setParentVersion(version - 1)
                    .setOrigin(ModelVersion.Origin.EXTERNAL).setTribuoModel(ByteString.copyFrom(model))
                    .setPublishedAtMs(System.currentTimeMillis()).build().toByteArray()));
        }

        /** Waits until the version is on the topic. */
        void flushAndCheck() {
            sends.flushAndCheck(producer);
        }
    }

    // Hot swaps under the open-loop unary load: the p99 of requests sent within 0.5 s of a swap vs the rest.
    private static void hotSwap(BenchReport report, ScoringServer freshet, ManagedChannel channel,
                                Publisher publisher, byte[][] models, PredictRequest[] requests, int offered)
            throws Exception {
        int swaps = 6;
        int seconds = 3 * swaps + 3;
        List<Long> swapTimes = new ArrayList<>();
        AtomicReference<RuntimeException> publishFailure = new AtomicReference<>();
        Thread swapper = new Thread(() -> {
            long version = freshet.stats().currentModelVersion();
            try {
                for (int i = 0; i < swaps; i++) {
                    Thread.sleep(3000);
                    long next = ++version;
                    publisher.publish(next, models[(int) (next % models.length)]);
                    publisher.flushAndCheck();
                    long before = freshet.stats().swaps();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    // Every millisecond is precise enough against the half-second window, and polling faster
                    // would load the 2 cores just when the swap is measured.
                    while (freshet.stats().swaps() == before && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(1_000_000);
                    }
                    synchronized (swapTimes) {
                        swapTimes.add(System.nanoTime());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                publishFailure.set(e);
            }
        }, "swapper");
        long swapsBefore = freshet.stats().swaps();
        swapper.start();
        Latencies all = openLoopUnary(channel, requests, offered, seconds);
        swapper.join();
        if (publishFailure.get() != null) {
            throw publishFailure.get();
        }
        long window = TimeUnit.MILLISECONDS.toNanos(500);
        List<Double> near = new ArrayList<>();
        List<Double> steady = new ArrayList<>();
        for (int i = 0; i < all.count(); i++) {
            long sent = all.sentAt[i];
            boolean nearSwap = swapTimes.stream().anyMatch(t -> Math.abs(sent - t) <= window);
            (nearSwap ? near : steady).add(all.millis[i]);
        }
        double nearP99 = percentile(near, 99);
        double steadyP99 = percentile(steady, 99);
        report.line("Hot swap: %d new versions published every 3 s during %d s of unary Predict at %d req/s "
            + "offered; %d swaps happened.", swaps, seconds, offered, freshet.stats().swaps() - swapsBefore);
        report.line("");
        report.line("| measure | value |");
        report.line("| --- | ---: |");
        report.line("| p99 of requests sent within 0.5 s of a swap (ms), %d requests | %.3f |", near.size(), nearP99);
        report.line("| p99 of the other requests (ms), %d requests | %.3f |", steady.size(), steadyP99);
        report.line("| ratio | %.2fx |", nearP99 / steadyP99);
        report.line("| max latency (ms) | %.3f |", all.percentile(100));
        report.line("| failed requests | %d of %d |", all.failed.get(), all.count() + all.failed.get());
    }

    private static double closedLoopUnary(ManagedChannel channel, PredictRequest[] requests, int seconds)
            throws InterruptedException {
        PredictionServiceGrpc.PredictionServiceStub stub = PredictionServiceGrpc.newStub(channel);
        AtomicLong done = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        CountDownLatch finished = new CountDownLatch(CLOSED_LOOP_OUTSTANDING);
        long start = System.nanoTime();
        for (int c = 0; c < CLOSED_LOOP_OUTSTANDING; c++) {
            new Runnable() {
                @Override
                public void run() {
                    if (System.nanoTime() > end) {
                        finished.countDown();
                        return;
                    }
                    Runnable again = this;
                    stub.predict(requests[Math.floorMod(next.getAndIncrement(), requests.length)],
                        new StreamObserver<>() {
                            @Override
                            public void onNext(PredictResponse value) {
                                done.incrementAndGet();
                            }

                            @Override
                            public void onError(Throwable t) {
                                again.run();
                            }

                            @Override
                            public void onCompleted() {
                                again.run();
                            }
                        });
                }
            }.run();
        }
        finished.await(seconds + 30L, TimeUnit.SECONDS);
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static double closedLoopStream(ManagedChannel channel, PredictRequest[] requests, int seconds)
            throws InterruptedException {
        PredictionServiceGrpc.PredictionServiceStub stub = PredictionServiceGrpc.newStub(channel);
        AtomicLong done = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        CountDownLatch finished = new CountDownLatch(STREAMS);
        long start = System.nanoTime();
        int window = CLOSED_LOOP_OUTSTANDING / STREAMS;
        for (int s = 0; s < STREAMS; s++) {
            @SuppressWarnings("unchecked")
            StreamObserver<PredictRequest>[] out = new StreamObserver[1];
            boolean[] closed = {false};
            out[0] = stub.predictStream(new StreamObserver<>() {
                @Override
                public void onNext(PredictResponse value) {
                    done.incrementAndGet();
                    // Keep the window full until the end; the lock orders these sends with the first ones.
                    synchronized (out) {
                        if (System.nanoTime() < end) {
                            out[0].onNext(requests[Math.floorMod(next.getAndIncrement(), requests.length)]);
                        } else if (!closed[0]) {
                            closed[0] = true;
                            out[0].onCompleted();
                        }
                    }
                }

                @Override
                public void onError(Throwable t) {
                    finished.countDown();
                }

                @Override
                public void onCompleted() {
                    finished.countDown();
                }
            });
            synchronized (out) {
                for (int i = 0; i < window; i++) {
                    out[0].onNext(requests[Math.floorMod(next.getAndIncrement(), requests.length)]);
                }
            }
        }
        finished.await(seconds + 30L, TimeUnit.SECONDS);
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static Latencies openLoopUnary(ManagedChannel channel, PredictRequest[] requests, int perSecond,
                                           int seconds) throws InterruptedException {
        PredictionServiceGrpc.PredictionServiceStub stub = PredictionServiceGrpc.newStub(channel);
        int total = perSecond * seconds;
        Latencies latencies = new Latencies(total);
        CountDownLatch answered = new CountDownLatch(total);
        long intervalNanos = 1_000_000_000L / perSecond;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long intended = start + i * intervalNanos;
            waitUntil(intended);
            stub.predict(requests[i % requests.length], new StreamObserver<>() {
                @Override
                public void onNext(PredictResponse value) {
                    latencies.record(intended, System.nanoTime());
                }

                @Override
                public void onError(Throwable t) {
                    latencies.failed.incrementAndGet();
                    answered.countDown();
                }

                @Override
                public void onCompleted() {
                    answered.countDown();
                }
            });
        }
        answered.await(30, TimeUnit.SECONDS);
        return latencies;
    }

    private static Latencies openLoopStream(ManagedChannel channel, PredictRequest[] requests, int perSecond,
                                            int seconds) throws InterruptedException {
        PredictionServiceGrpc.PredictionServiceStub stub = PredictionServiceGrpc.newStub(channel);
        int total = perSecond * seconds;
        Latencies latencies = new Latencies(total);
        CountDownLatch finished = new CountDownLatch(STREAMS);
        List<StreamObserver<PredictRequest>> streams = new ArrayList<>();
        List<ConcurrentLinkedQueue<Long>> sentTimes = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
            sentTimes.add(sent);
            streams.add(stub.predictStream(new StreamObserver<>() {
                @Override
                public void onNext(PredictResponse value) {
                    // Answers come in request order on a stream.
                    latencies.record(sent.poll(), System.nanoTime());
                }

                @Override
                public void onError(Throwable t) {
                    latencies.failed.addAndGet(sent.size());
                    finished.countDown();
                }

                @Override
                public void onCompleted() {
                    finished.countDown();
                }
            }));
        }
        long intervalNanos = 1_000_000_000L / perSecond;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long intended = start + i * intervalNanos;
            waitUntil(intended);
            int s = i % STREAMS;
            sentTimes.get(s).add(intended);
            streams.get(s).onNext(requests[i % requests.length]);
        }
        streams.forEach(StreamObserver::onCompleted);
        finished.await(30, TimeUnit.SECONDS);
        return latencies;
    }

    private static void waitUntil(long nanos) {
        long wait;
        while ((wait = nanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Latencies in ms with their send times; recorded from many threads. */
    private static final class Latencies {
        final double[] millis;
        final long[] sentAt;
        final AtomicInteger size = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        Latencies(int capacity) {
            millis = new double[capacity];
            sentAt = new long[capacity];
        }

        void record(long intended, long answered) {
            int i = size.getAndIncrement();
            if (i < millis.length) {
                millis[i] = (answered - intended) / 1e6;
                sentAt[i] = intended;
            }
        }

        int count() {
            return Math.min(size.get(), millis.length);
        }

        double percentile(double p) {
            double[] sorted = Arrays.copyOf(millis, count());
            Arrays.sort(sorted);
            return sorted.length == 0 ? Double.NaN
                : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
        }
    }

    private static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1))];
    }

    /** The same service with no work: a prebuilt answer of the same shape as Freshet's. */
    private static final class EmptyHandler extends PredictionServiceGrpc.PredictionServiceImplBase {
        private static final PredictResponse ANSWER = PredictResponse.newBuilder().setRequestId("r").setLabel("0")
            .setScore(0.9).putClassProbabilities("0", 0.9).putClassProbabilities("1", 0.1).setModel(MODEL)
            .setModelVersion(1).setEntityKnown(true).build();

        @Override
        public void predict(PredictRequest request, StreamObserver<PredictResponse> responses) {
            responses.onNext(ANSWER);
            responses.onCompleted();
        }

        @Override
        public StreamObserver<PredictRequest> predictStream(StreamObserver<PredictResponse> responses) {
            return new StreamObserver<>() {
                @Override
                public void onNext(PredictRequest value) {
                    responses.onNext(ANSWER);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    responses.onCompleted();
                }
            };
        }
    }

    private static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilderForAddress("localhost", port, InsecureChannelCredentials.create()).build();
    }

    private static PredictRequest[] requests() {
        Random random = new Random(7);
        PredictRequest[] requests = new PredictRequest[4096];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = PredictRequest.newBuilder().setRequestId("r-" + i)
                .setEntityId("u-" + random.nextInt(ENTITIES))
                .putFields("amount", FieldValue.newBuilder().setNumberValue(random.nextDouble()).build())
                .putFields("velocity", FieldValue.newBuilder().setNumberValue(random.nextDouble()).build())
                .putFields("channel", FieldValue.newBuilder().setStringValue(random.nextBoolean() ? "web" : "app")
                    .build())
                .putFields("is_new_device", FieldValue.newBuilder().setBoolValue(random.nextBoolean()).build())
                .build();
        }
        return requests;
    }

    private static byte[] modelBytes(long seed) {
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> data = new MutableDataset<>(
            new SimpleDataSourceProvenance("serving-bench", OffsetDateTime.now(), labels), labels);
        Random random = new Random(seed);
        for (int i = 0; i < 500; i++) {
            double amount = random.nextDouble();
            boolean newDevice = random.nextBoolean();
            boolean web = random.nextBoolean();
            data.add(new ArrayExample<>(new Label(amount > 0.6 && newDevice ? "1" : "0"), FEATURES, new double[] {
                amount, random.nextDouble(), random.nextDouble(), FeatureEncoding.encode(web),
                FeatureEncoding.encode(!web), FeatureEncoding.encode(newDevice)}));
        }
        return new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.5), 3, seed).train(data).serialize()
            .toByteArray();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The scoring server did not load the model and features in 2 min.");
            }
            Thread.sleep(50);
        }
    }
}
