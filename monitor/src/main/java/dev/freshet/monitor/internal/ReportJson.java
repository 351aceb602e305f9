package dev.freshet.monitor.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.freshet.monitor.MonitorReport;

/** The report as JSON: every record component by name, maps as objects, nulls kept so absent figures show. */
public final class ReportJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportJson() {
    }

    /** Renders {@code report}; never fails for a report the monitor made (it holds no NaN or infinity). */
    public static String render(MonitorReport report) {
        try {
            return MAPPER.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("The monitor report could not be written as JSON", e);
        }
    }
}
