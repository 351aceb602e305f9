package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;

class RegistryTest {
    private static ModelVersion version(long v, int modelBytes) {
        return ModelVersion.newBuilder().setModel("m").setVersion(v).setParentVersion(v - 1)
            .setTribuoModel(ByteString.copyFrom(new byte[modelBytes])).setPublishedAtMs(v).build();
    }

    @Test
    void keepsTheNewestModelsWithinTheByteBudgetButAlwaysTheNewest() {
        Registry registry = new Registry(100, 2_500);
        for (long v = 1; v <= 5; v++) {
            registry.record(version(v, 1_000), true);
        }

        assertThat(registry.model(3)).isEmpty();
        assertThat(registry.model(4)).isPresent();
        assertThat(registry.model(5)).isPresent();

        registry.record(version(6, 10_000), true);
        assertThat(registry.model(5)).isEmpty();
        assertThat(registry.model(6)).isPresent();
    }

    @Test
    void keepsAtMostTheConfiguredNumberOfModels() {
        Registry registry = new Registry(2, Long.MAX_VALUE);
        for (long v = 1; v <= 3; v++) {
            registry.record(version(v, 10), true);
        }

        assertThat(registry.model(1)).isEmpty();
        assertThat(registry.model(2)).isPresent();
        assertThat(registry.highestVersion()).isEqualTo(3);
    }
}
