package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictRequest;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {

    @Test
    void rejectsAFieldWithoutAValueNamingWhereItIs() {
        assertThatThrownBy(() -> RequestValidator.validate(PredictRequest.newBuilder().setEntityId("u-1")
                .putFields("amount", FieldValue.getDefaultInstance()).build(), "requests[3]: "))
            .isInstanceOf(InvalidRequestException.class)
            .hasMessage("requests[3]: field 'amount' has no value; set number_value, string_value or bool_value.");
    }

    @Test
    void rejectsANonFiniteNumberNamingWhereItIs() {
        assertThatThrownBy(() -> RequestValidator.validate(PredictRequest.newBuilder().setEntityId("u-1")
                .putFields("amount", FieldValue.newBuilder().setNumberValue(Double.NaN).build()).build(),
                "requests[1]: "))
            .isInstanceOf(InvalidRequestException.class)
            .hasMessage("requests[1]: field 'amount' is NaN; send a finite number.");
    }
}
