package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The kit's security for a component other than serving: its own keys, read in a few lines, named in every
 * refusal, and the authenticated principal handed to the handler.
 */
class CallerAuthInterceptorTest {
    private static final GrpcSecurityKeys KEYS = GrpcSecurityKeys.of("featurestore", "feature store",
        "freshet features ...");
    private static final ConfigDef DEF = new ConfigDef()
        .define(KEYS.certFile(), Type.STRING, "", Importance.MEDIUM, "cert")
        .define(KEYS.keyFile(), Type.STRING, "", Importance.MEDIUM, "key")
        .define(KEYS.clientCaFile(), Type.STRING, "", Importance.MEDIUM, "client CA")
        .define(KEYS.clientAuth(), Type.STRING, "optional", Importance.MEDIUM, "client auth")
        .define(KEYS.tokenKey(), Type.PASSWORD, "", Importance.MEDIUM, "token")
        .define(KEYS.tokenFileKey(), Type.STRING, "", Importance.MEDIUM, "token file")
        .define(KEYS.allowedSubjectsKey(), Type.STRING, "", Importance.MEDIUM, "subjects");

    private final String name = "auth-" + UUID.randomUUID();
    private final ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    private GrpcServer server;

    @AfterEach
    void close() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private void start(Map<String, String> settings) throws Exception {
        AbstractConfig config = new AbstractConfig(DEF, new HashMap<>(settings));
        GrpcTls tls = GrpcTls.from(config, KEYS);
        CallerAuthInterceptor auth = new CallerAuthInterceptor(BearerTokens.from(config, KEYS), tls, KEYS);
        server = GrpcServer.on("feature store", InProcessServerBuilder.forName(name), tls)
            .addService(new KitTestService().bindService(), auth).start();
    }

    private String principalOf(String authorization) {
        FeatureStoreServiceGrpc.FeatureStoreServiceBlockingStub stub = FeatureStoreServiceGrpc.newBlockingStub(channel);
        if (authorization != null) {
            Metadata headers = new Metadata();
            headers.put(CallerAuthInterceptor.AUTHORIZATION, authorization);
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .describeFeatureView(DescribeFeatureViewRequest.newBuilder().setName("v").build()).getFeatures(0);
    }

    @Test
    void aKnownTokenIsAdmittedAndItsPrincipalRecorded() throws Exception {
        start(Map.of(KEYS.tokenKey(), "s3cret"));

        assertThat(principalOf("Bearer s3cret")).isEqualTo(BearerTokens.SINGLE_TOKEN_PRINCIPAL);
        assertThat(principalOf("bearer   s3cret ")).as("scheme case and spacing").isEqualTo("admin");
    }

    @Test
    void aWrongTokenIsUnauthenticatedNamingTheComponentsKeys() throws Exception {
        start(Map.of(KEYS.tokenKey(), "s3cret"));

        assertThatThrownBy(() -> principalOf("Bearer s3cre"))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
                .isEqualTo("the bearer token is not one this feature store accepts; check it against "
                    + "featurestore.admin.token or featurestore.admin.token.file."));
    }

    @Test
    void aCallWithoutCredentialsIsToldWhatToPresent() throws Exception {
        start(Map.of(KEYS.tokenKey(), "s3cret"));

        assertThatThrownBy(() -> principalOf(null))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
                .isEqualTo("admin calls need the header 'authorization: Bearer <token>' with a token from "
                    + "featurestore.admin.token or featurestore.admin.token.file (freshet features ... --token "
                    + "TOKEN)."));
    }

    @Test
    void withNothingConfiguredEveryCallIsPermissionDeniedSayingWhatToSet() throws Exception {
        start(Map.of());

        assertThatThrownBy(() -> principalOf("Bearer anything"))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription()).isEqualTo("admin calls are disabled on this feature "
                    + "store: set featurestore.admin.token (or featurestore.admin.token.file, or "
                    + "featurestore.admin.allowed.subjects for client certificates) and restart it.");
            });
    }

    @Test
    void tlsSettingsAreRefusedNamingTheComponentsKeys() {
        AbstractConfig config = new AbstractConfig(DEF, Map.of(KEYS.clientAuth(), "require"));

        assertThatThrownBy(() -> GrpcTls.from(config, KEYS))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("featurestore.tls.client.auth")
            .hasMessageContaining("needs featurestore.tls.client.ca.file");
    }
}
