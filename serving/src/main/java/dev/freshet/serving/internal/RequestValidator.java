package dev.freshet.serving.internal;

import java.util.Map;
import java.util.stream.Collectors;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.freshet.proto.serving.v1.FieldValue;
import dev.freshet.proto.serving.v1.PredictRequest;

/**
 * Every check a request must pass, run over a whole call before anything of it is scored or logged: a refused call
 * leaves nothing in the prediction log (whose entries become training examples). Rejects requests the scorer would
 * misread. Protobuf keeps what it cannot match in a message's unknown fields
 * instead of failing: a field number this server does not know (a client built from a newer proto) and a known
 * field sent with the wrong wire type (e.g. entity_id as a number) both end up there, so both are checked.
 */
final class RequestValidator {
    private RequestValidator() {
    }

    /**
     * @param where prefix for messages locating the request in a batch or stream, e.g. {@code "requests[3]: "}
     * @throws InvalidRequestException naming what to fix
     */
    static void validate(PredictRequest request, String where) {
        if (hasUnknownFields(request)) {
            rejectUnknownFields(request, where);
        }
        if (request.getEntityId().isBlank()) {
            throw new InvalidRequestException(where + "entity_id is required: set it to the id whose stored features "
                + "should be added to the request (e.g. a user or card id).");
        }
        for (Map.Entry<String, FieldValue> field : request.getFieldsMap().entrySet()) {
            if (field.getKey().isEmpty()) {
                throw new InvalidRequestException(where + "a field has an empty name; name every entry in 'fields'.");
            }
            if (hasUnknownFields(field.getValue())) {
                rejectUnknownFields(field.getValue(), where + "fields['" + field.getKey() + "']: ");
            }
            validateValue(field.getKey(), field.getValue(), where);
        }
    }

    private static void validateValue(String name, FieldValue value, String where) {
        switch (value.getKindCase()) {
            case NUMBER_VALUE -> {
                double number = value.getNumberValue();
                if (!Double.isFinite(number)) {
                    throw new InvalidRequestException(String.format("%sfield '%s' is %s; send a finite number.",
                        where, name, number));
                }
            }
            case BOOL_VALUE, STRING_VALUE -> {
            }
            default -> throw new InvalidRequestException(String.format(
                "%sfield '%s' has no value; set number_value, string_value or bool_value.", where, name));
        }
    }

    // Cheaper than asMap(), which copies: an empty set has size 0, and any field has at least a tag.
    private static boolean hasUnknownFields(Message message) {
        return message.getUnknownFields().getSerializedSize() != 0;
    }

    private static void rejectUnknownFields(Message message, String where) {
        int number = message.getUnknownFields().asMap().keySet().iterator().next();
        FieldDescriptor known = message.getDescriptorForType().findFieldByNumber(number);
        if (known != null) {
            throw new InvalidRequestException(String.format("%sfield '%s' (number %d) has the wrong type; send it as "
                + "%s.", where, known.getName(), number, typeName(known)));
        }
        throw new InvalidRequestException(String.format("%sunknown field number %d in %s; this server accepts %s. "
            + "Remove the field, or upgrade the server to the proto the client was built from.", where, number,
            message.getDescriptorForType().getFullName(), message.getDescriptorForType().getFields().stream()
                .map(f -> f.getName() + " = " + f.getNumber()).collect(Collectors.joining(", "))));
    }

    private static String typeName(FieldDescriptor field) {
        String type = switch (field.getJavaType()) {
            case MESSAGE -> field.isMapField() ? "a map" : "a " + field.getMessageType().getName() + " message";
            case ENUM -> "an enum";
            default -> "a " + field.getType().name().toLowerCase(java.util.Locale.ROOT);
        };
        return field.isRepeated() && !field.isMapField() ? "repeated " + type : type;
    }
}
