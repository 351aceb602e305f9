package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictBatchRequest;
import dev.freshet.proto.serving.v1.PredictRequest;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refusal a request can get, as a single Predict and as the last request of a PredictBatch whose earlier
 * requests are valid: INVALID_ARGUMENT naming the request and the field, and nothing of the call in the prediction
 * log (whose entries would become training examples).
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class RequestValidationIT {
    @TempDir
    static Path stateDir;
    private static ServingFixture fixture;

    @BeforeAll
    static void startServer(KafkaTestCluster cluster) {
        fixture = new ServingFixture(cluster, stateDir);
        fixture.publish(1, 0, TestModels.trainedModelBytes(1));
        fixture.awaitServing(1);
    }

    @AfterAll
    static void stopServer() {
        fixture.close();
    }

    /** A refused kind: how it breaks a valid request, and what the refusal must say. */
    static Stream<Arguments> refusals() {
        return Stream.of(
            refusal("a blank entity id", r -> r.setEntityId(" "), "entity_id is required"),
            refusal("a field with an empty name", r -> r.putFields("", number(1)),
                "a field has an empty name; name every entry in 'fields'"),
            refusal("a NaN", r -> r.putFields("amount", number(Double.NaN)),
                "field 'amount' is NaN; send a finite number."),
            refusal("positive infinity", r -> r.putFields("amount", number(Double.POSITIVE_INFINITY)),
                "field 'amount' is Infinity; send a finite number."),
            refusal("negative infinity", r -> r.putFields("amount", number(Double.NEGATIVE_INFINITY)),
                "field 'amount' is -Infinity; send a finite number."),
            refusal("a field without a value", r -> r.putFields("amount", FieldValue.getDefaultInstance()),
                "field 'amount' has no value; set number_value, string_value or bool_value."),
            refusal("an unknown request field", r -> r.setUnknownFields(varint(99)),
                "unknown field number 99 in freshet.serving.v1.PredictRequest"),
            refusal("a request field of the wrong type", r -> r.setUnknownFields(varint(2)),
                "field 'entity_id' (number 2) has the wrong type; send it as a string."),
            refusal("an unknown field in a value", r -> r.putFields("amount",
                    FieldValue.newBuilder().setNumberValue(1).setUnknownFields(varint(9)).build()),
                "fields['amount']: unknown field number 9 in freshet.serving.v1.FieldValue"),
            refusal("a value of the wrong type", r -> r.putFields("amount",
                    FieldValue.newBuilder().setUnknownFields(varint(1)).build()),
                "fields['amount']: field 'number_value' (number 1) has the wrong type; send it as a double."),
            // Not a shape check: only the model can tell, so a batch logs nothing until every request is scored.
            refusal("no feature the model knows", r -> r.setEntityId("nobody-" + UUID.randomUUID()).clearFields()
                    .putFields("colour", FieldValue.newBuilder().setStringValue("red").build()),
                "none of the 1 features (request fields plus the entity's stored features) is known to model "
                    + "'default' v1"));
    }

    @ParameterizedTest(name = "Predict with {0}")
    @MethodSource("refusals")
    void predictIsRefusedNamingTheFieldAndLogsNothing(String kind, UnaryOperator<PredictRequest.Builder> breaks,
                                                     String says) {
        String id = "single-" + UUID.randomUUID();
        PredictRequest bad = breaks.apply(ServingFixture.request("u-1").setRequestId(id)).build();

        assertThatThrownBy(() -> fixture.predictions.predict(bad))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains(says).doesNotContain("requests[");
            });
        assertNoneLogged(Set.of(id));
    }

    @ParameterizedTest(name = "PredictBatch with {0} in its last request")
    @MethodSource("refusals")
    void predictBatchIsRefusedNamingTheRequestAndFieldAndLogsNothingOfTheBatch(
            String kind, UnaryOperator<PredictRequest.Builder> breaks, String says) {
        String call = "batch-" + UUID.randomUUID();
        PredictBatchRequest batch = PredictBatchRequest.newBuilder()
            .addRequests(ServingFixture.request("u-1").setRequestId(call + "-0"))
            .addRequests(ServingFixture.request("u-2").setRequestId(call + "-1"))
            .addRequests(breaks.apply(ServingFixture.request("u-3").setRequestId(call + "-2")))
            .build();

        assertThatThrownBy(() -> fixture.predictions.predictBatch(batch))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).startsWith("requests[2]: ").contains(says);
            });
        assertNoneLogged(Set.of(call + "-0", call + "-1", call + "-2"));
    }

    private static Arguments refusal(String kind, UnaryOperator<PredictRequest.Builder> breaks, String says) {
        return Arguments.of(kind, breaks, says);
    }

    private static FieldValue number(double value) {
        return FieldValue.newBuilder().setNumberValue(value).build();
    }

    private static UnknownFieldSet varint(int fieldNumber) {
        return UnknownFieldSet.newBuilder()
            .addField(fieldNumber, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
    }

    // A valid call made after the refused one is logged after it by the same writer: once it is in the topic,
    // anything of the refused call would be too.
    private static void assertNoneLogged(Set<String> refused) {
        String after = "after-" + UUID.randomUUID();
        fixture.predictions.predict(ServingFixture.request("u-1").setRequestId(after).build());
        List<ConsumerRecord<byte[], byte[]>> records = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
            seen -> seen.stream().anyMatch(r -> requestId(r).equals(after)), ServingFixture.TIMEOUT);
        Set<String> logged = records.stream().map(RequestValidationIT::requestId).collect(Collectors.toSet());
        assertThat(logged).doesNotContainAnyElementsOf(refused);
    }

    private static String requestId(ConsumerRecord<byte[], byte[]> record) {
        try {
            return PredictionLogEntry.parseFrom(record.value()).getRequestId();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
