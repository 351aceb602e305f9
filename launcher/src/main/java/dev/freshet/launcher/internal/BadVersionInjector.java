package dev.freshet.launcher.internal;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import com.google.protobuf.ByteString;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Publishes a deliberately broken model version, as an operator publishing a bad offline model would: a stock
 * Tribuo model trained on recent served feature vectors with every label inverted. It goes through the same
 * registry topic as any other version, so what follows (serving swaps to it, the monitor rolls it back) is the
 * platform's real behaviour, not a simulation.
 */
final class BadVersionInjector {
    /** A served feature vector and the label that later turned out true. */
    record LabelledFeatures(Map<String, Double> features, String label) {
    }

    static final String NOTE = "deliberately broken by freshet demo --inject-bad-version: trained on inverted labels";

    private BadVersionInjector() {
    }

    /** Trains the broken model and publishes it as {@code version}; returns the published record (without weights). */
    static ModelVersion publish(KafkaProducer<String, byte[]> producer, String modelsTopic, String modelName,
                                long version, long parentVersion, List<LabelledFeatures> recent) {
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> dataset = new MutableDataset<>(
            new SimpleDataSourceProvenance("freshet demo: served features with inverted labels", OffsetDateTime.now(), labels),
            labels);
        for (LabelledFeatures example : recent) {
            ArrayExample<Label> row = new ArrayExample<>(new Label("1".equals(example.label()) ? "0" : "1"));
            example.features().forEach(row::add);
            dataset.add(row);
        }
        Model<Label> model = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.1, 0.1), 5, 1L).train(dataset);
        ModelVersion record = ModelVersion.newBuilder()
            .setModel(modelName)
            .setVersion(version)
            .setParentVersion(parentVersion)
            .setOrigin(ModelVersion.Origin.EXTERNAL)
            .setTribuoModel(ByteString.copyFrom(model.serialize().toByteArray()))
            .setPublishedAtMs(System.currentTimeMillis())
            .setExamplesSeen(dataset.size())
            .putHyperparameters("trainer", "LinearSGDTrainer(LogMulticlass, AdaGrad 0.1, 5 epochs)")
            .setNote(NOTE)
            .build();
        try {
            producer.send(new ProducerRecord<>(modelsTopic, RecordKeys.versionKey(modelName, version), record.toByteArray()))
                .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("Interrupted while publishing the injected bad version", e);
        } catch (ExecutionException e) {
            throw new LauncherException("Could not publish the injected bad version: " + e.getCause().getMessage(), e);
        }
        return record.toBuilder().clearTribuoModel().build();
    }
}
