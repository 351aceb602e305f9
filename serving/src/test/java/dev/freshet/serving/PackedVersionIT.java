package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;
import com.oracle.labs.mlrg.olcut.config.protobuf.ProtoProvenanceSerialization;
import com.oracle.labs.mlrg.olcut.provenance.ProvenanceUtil;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.math.la.DenseMatrix;

/** A version in the packed form (registry.proto: schema once, numbers per version) is served like a whole model. */
@ExtendWith(EmbeddedKafkaExtension.class)
class PackedVersionIT {
    @TempDir
    Path stateDir;
    private ServingFixture fixture;

    @AfterEach
    void stopServer() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void servesAPackedVersionOnceItsSchemaIsReadAndScoresExactlyLikeTheWholeModel(KafkaTestCluster cluster) {
        fixture = new ServingFixture(cluster, stateDir);
        fixture.stop();
        cluster.createTopics(fixture.prefix + "model-schemas");
        fixture.start();
        Model<Label> model = TestModels.trainedModel(1);
        fixture.publish(1, 0, model.serialize().toByteArray());
        fixture.awaitServing(1);
        PredictResponse whole = fixture.predictions.predict(ServingFixture.request("u-1").setRequestId("a").build());

        // The schema lists features in the learner's order (not sorted); the weights follow the sorted names.
        List<String> learnerOrder = new ArrayList<>(List.of(TestModels.FEATURES));
        java.util.Collections.reverse(learnerOrder);
        List<String> sorted = new ArrayList<>(learnerOrder);
        sorted.sort(null);
        LinearSGDModel linear = (LinearSGDModel) model;
        DenseMatrix weights = linear.getWeightsCopy();
        int n = sorted.size();
        List<String> outputs = new ArrayList<>();
        ModelVersion.Builder packed = ModelVersion.newBuilder().setModel("default").setVersion(2).setParentVersion(1)
            .setOrigin(ModelVersion.Origin.ONLINE).setSchemaId("s-1").setPublishedAtMs(System.currentTimeMillis())
            .setTribuoProvenance(ByteString.copyFrom(new ProtoProvenanceSerialization(false)
                .serializeToProto(ProvenanceUtil.marshalProvenance(model.getProvenance())).toByteArray()));
        for (int k = 0; k < model.getOutputIDInfo().size(); k++) {
            outputs.add(model.getOutputIDInfo().getOutput(k).getLabel());
            for (String name : sorted) {
                packed.addWeights(weights.get(k, linear.getFeatureIDMap().getID(name)));
            }
            packed.addBias(weights.get(k, n));
        }
        // The version before its schema: serving waits for the schema instead of giving the version up.
        fixture.send(fixture.prefix + "models", "default/2", packed.build().toByteArray());
        fixture.send(fixture.prefix + "model-schemas", "default/s-1", ModelSchema.newBuilder().setModel("default")
            .setSchemaId("s-1").setTask("classification").addAllOutputs(outputs).addAllFeatureNames(learnerOrder)
            .build().toByteArray());
        fixture.awaitServing(2);

        PredictResponse fromPacked = fixture.predictions.predict(
            ServingFixture.request("u-1").setRequestId("b").build());
        assertThat(fromPacked.getModelVersion()).isEqualTo(2);
        assertThat(fromPacked.getLabel()).isEqualTo(whole.getLabel());
        assertThat(fromPacked.getClassProbabilitiesMap()).isEqualTo(whole.getClassProbabilitiesMap());
    }
}
