package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.StatusRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.apache.kafka.common.config.AbstractConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole platform started with known secrets, called with right and wrong tokens, and closed: nothing it prints
 * (standard output and error, where every log goes) holds one of them.
 */
class SecretsNotLoggedIT {
    private static final List<String> SECRETS = List.of("adm1n-S3CRET", "0ps-S3CRET", "rep0rt-S3CRET",
        "scr4pe-S3CRET", "tru5t-S3CRET", "ja4s-S3CRET");

    @TempDir
    Path dir;

    @Test
    void noTokenOrPasswordAppearsInWhatThePlatformPrints() throws Exception {
        Path adminTokens = Files.writeString(dir.resolve("admin.tokens"), "ops:" + SECRETS.get(1) + "\n");
        Path reportToken = Files.writeString(dir.resolve("report.token"), SECRETS.get(2) + "\n");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            // As the CLI reads them: a -D secret warns (naming the key only), then every component starts.
            Map<String, Object> props = ConfigSources.load(null, Map.of(
                "serving.port", "0", "serving.metrics.port", "0", "monitor.http.port", "0",
                "featurestore.grpc.port", "0",
                "serving.admin.token", SECRETS.get(0),
                "serving.admin.token.file", adminTokens.toString(),
                "monitor.http.token", "${file:" + reportToken + "}",
                "serving.metrics.token", SECRETS.get(3),
                "kafka.ssl.truststore.password", SECRETS.get(4),
                "kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                    + "username=\"freshet\" password=\"" + SECRETS.get(5) + "\";"));
            props.put("bootstrap.servers", broker.bootstrapServers());
            RunCommand.ensureTopics(props, new AbstractConfig(RunCommand.configDef(), props, false),
                RunCommand.DEFAULT_CLUSTER_TIMEOUT);
            try (Platform platform = Platform.start(props, EnumSet.allOf(Platform.Component.class))) {
                callAdmin(platform.scoringServer().port(), "not-the-token");
                callAdmin(platform.scoringServer().port(), SECRETS.get(1));
                assertThat(scrape(platform.scoringServer().metricsPort(), "/metrics", "wrong")).isEqualTo(401);
                assertThat(scrape(platform.scoringServer().metricsPort(), "/metrics", SECRETS.get(3)))
                    .isEqualTo(200);
                assertThat(scrape(platform.monitor().httpPort(), "/report.json", SECRETS.get(2))).isEqualTo(200);
                assertThat(scrape(platform.monitor().httpPort(), "/", "wrong")).isEqualTo(401);
            }
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        String output = printed.toString(StandardCharsets.UTF_8);
        originalErr.print(output);

        assertThat(output).contains("freshet: warning: -D", "serving.admin.token", "listens on 127.0.0.1:");
        for (String secret : SECRETS) {
            assertThat(output).as("what the platform printed").doesNotContain(secret);
        }
    }

    private static void callAdmin(int port, String token) throws InterruptedException {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
            InsecureChannelCredentials.create()).build();
        try {
            AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
            try {
                admin.status(StatusRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                // Refused, or no model yet: either way the caller is not told the token back.
                assertThat(e.getMessage()).doesNotContain(token);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static int scrape(int port, String path, String token) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }
}
