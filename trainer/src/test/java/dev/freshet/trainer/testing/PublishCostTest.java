package dev.freshet.trainer.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.tribuo.Model;

/** PublishCost is the bench's way in to the publishing path; this keeps it measuring what the trainer sends. */
class PublishCostTest {
    @Test
    void packedAndWholeVersionsOfTheSameStateReadBackAsTheSameModel() throws Exception {
        PublishCost packed = new PublishCost(true, 200, 40, 10);
        PublishCost whole = new PublishCost(false, 200, 40, 10);

        PublishCost.Published p = packed.publish(1);
        PublishCost.Published w = whole.publish(1);
        Model<?> fromPacked = packed.read(p.version());
        Model<?> fromWhole = whole.read(w.version());

        assertThat(packed.numFeatures()).isEqualTo(201);
        assertThat(p.schema()).as("the first packed version brings its schema").isNotNull();
        assertThat(w.schema()).isNull();
        assertThat(p.version().length).isLessThan(w.version().length);
        assertThat(fromPacked.getFeatureIDMap().size()).isEqualTo(fromWhole.getFeatureIDMap().size());
        packed.learn(20, 200, 10);
        assertThat(packed.publish(2).schema()).as("no new feature, no new schema").isNull();
    }
}
