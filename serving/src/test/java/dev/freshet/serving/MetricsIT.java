package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class MetricsIT {

    @Test
    void prometheusEndpointCountsCallsByMethodAndCodeLatencyByVersionAndSwaps(KafkaTestCluster cluster,
            @TempDir Path stateDir) throws Exception {
        byte[] model = TestModels.trainedModelBytes(11);
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir, Map.of("serving.metrics.port", 0))) {
            fixture.publish(1, 0, model);
            fixture.awaitServing(1);
            for (int i = 0; i < 3; i++) {
                fixture.predictions.predict(ServingFixture.request("u-" + i).build());
            }
            assertThatThrownBy(() -> fixture.predictions.predict(ServingFixture.request("").build()))
                .isInstanceOf(StatusRuntimeException.class);
            fixture.predictions.predictBatch(PredictBatchRequest.newBuilder()
                .addRequests(ServingFixture.request("u-1")).addRequests(ServingFixture.request("u-2")).build());
            fixture.publish(2, 1, model);
            fixture.awaitServing(2);
            fixture.predictions.predict(ServingFixture.request("u-1").build());

            String metrics = scrape(fixture.server.metricsPort());

            assertThat(metrics).contains(
                "freshet_serving_calls_total{code=\"OK\",method=\"Predict\"} 4",
                "freshet_serving_calls_total{code=\"INVALID_ARGUMENT\",method=\"Predict\"} 1",
                "freshet_serving_calls_total{code=\"OK\",method=\"PredictBatch\"} 1",
                "freshet_serving_latency_seconds_count{method=\"Predict\",model_version=\"1\"} 3",
                "freshet_serving_latency_seconds_count{method=\"Predict\",model_version=\"2\"} 1",
                "freshet_serving_latency_seconds_count{method=\"PredictBatch\",model_version=\"1\"} 1",
                "freshet_serving_predictions_total{model_version=\"1\",role=\"champion\"} 5",
                "freshet_serving_swaps_total 1",
                "freshet_serving_model_version{role=\"champion\"} 2");
        }
    }

    @Test
    void theEndpointIsOffByDefault(KafkaTestCluster cluster, @TempDir Path stateDir) {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            assertThat(fixture.server.metricsPort()).isEqualTo(-1);
        }
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
