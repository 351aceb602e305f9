package dev.freshet.serving;

import java.time.OffsetDateTime;
import java.util.Random;

import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/** Stock Tribuo models, trained the way an operator would make an EXTERNAL version. */
final class TestModels {
    static final String[] FEATURES = {"amount", "amount_avg_1h", "velocity", "channel=web", "channel=app",
        "is_new_device"};

    private TestModels() {
    }

    /** A fraud-like classifier ("1" for large amounts on new devices) trained with {@code seed}; serialized. */
    static byte[] trainedModelBytes(long seed) {
        return trainedModel(seed).serialize().toByteArray();
    }

    static Model<Label> trainedModel(long seed) {
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> data = new MutableDataset<>(
            new SimpleDataSourceProvenance("serving-test", OffsetDateTime.now(), labels), labels);
        Random random = new Random(seed);
        for (int i = 0; i < 200; i++) {
            double amount = random.nextDouble() * 100;
            boolean newDevice = random.nextBoolean();
            boolean web = random.nextBoolean();
            String label = amount > 60 && newDevice ? "1" : "0";
            data.add(new ArrayExample<>(new Label(label), FEATURES, new double[] {
                amount / 100, random.nextDouble(), random.nextDouble(), web ? 1 : 0, web ? 0 : 1, newDevice ? 1 : 0}));
        }
        return new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.5), 3, seed).train(data);
    }
}
