package dev.freshet.launcher.internal;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads a CSV, ARFF or JSON-lines file (optionally gzipped) as JSON events with an event time. Each row becomes a
 * JSON object; the time column is rewritten as epoch milliseconds, which every feature view reads. Not thread-safe.
 */
final class ReplaySource implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NUMBER = Pattern.compile("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

    /** The file formats replay reads. */
    enum Format { CSV, JSONL, ARFF }

    /** How the time column's values are read. */
    enum TimeFormat { AUTO, EPOCH_MS, EPOCH_S, ISO }

    /**
     * What to read.
     *
     * @param timeColumn the column (top-level JSON field) holding the event time
     * @param timeFormat how to read it; AUTO takes a whole number as epoch millis, else an ISO-8601 instant,
     *     local date-time (as UTC) or date (UTC midnight)
     * @param keyColumn the column whose value becomes the record key, or null for none
     * @param syntheticStartMs when not null, rows carry no time: row {@code i} gets {@code start + i * step},
     *     written to {@code timeColumn}
     * @param syntheticStepMs the step between synthetic times
     * @param stringColumns columns kept as strings even when they look like numbers (e.g. zip codes)
     */
    record Settings(Format format, String timeColumn, TimeFormat timeFormat, String keyColumn, Long syntheticStartMs,
            long syntheticStepMs, Set<String> stringColumns) {
    }

    /** One row ready to produce. */
    record Row(long line, long eventTimeMs, String key, byte[] value) {
    }

    private final Settings settings;
    private final CountingStream counted;
    private final BufferedReader reader;
    private final long fileSize;
    private final List<String> skipped = new ArrayList<>();
    private List<String> header;
    private long line;
    private long rows;
    private long skippedCount;

    ReplaySource(Path file, Settings settings) throws IOException {
        this.settings = settings;
        this.fileSize = Files.size(file);
        this.counted = new CountingStream(Files.newInputStream(file));
        InputStream in = file.getFileName().toString().endsWith(".gz")
            ? new GZIPInputStream(counted, 1 << 16) : counted;
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        if (settings.format() == Format.CSV) {
            String first = reader.readLine();
            line++;
            if (first == null) {
                throw new LauncherException("The file " + file + " is empty; expected a CSV header line.");
            }
            header = splitCsv(first);
        } else if (settings.format() == Format.ARFF) {
            header = readArffHeader(file);
        }
        if (header != null) {
            if (settings.syntheticStartMs() == null && !header.contains(settings.timeColumn())) {
                throw new LauncherException("The file " + file + " has no column '" + settings.timeColumn()
                    + "' (its columns: " + String.join(", ", header) + "); name the time column with --time-column, "
                    + "or give --start and --step to number the rows.");
            }
            if (settings.keyColumn() != null && !header.contains(settings.keyColumn())) {
                throw new LauncherException("The file " + file + " has no column '" + settings.keyColumn()
                    + "' for --key (its columns: " + String.join(", ", header) + ").");
            }
        }
    }

    /** The format named by the file's extension (after a {@code .gz}), or null when it names none. */
    static Format formatOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".csv")) {
            return Format.CSV;
        }
        if (name.endsWith(".arff")) {
            return Format.ARFF;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return Format.JSONL;
        }
        return null;
    }

    /** The next usable row, or null at the end of the file. Rows that cannot be used are counted and skipped. */
    Row next() throws IOException {
        String text;
        while ((text = reader.readLine()) != null) {
            line++;
            if (text.isBlank() || (settings.format() == Format.ARFF && text.startsWith("%"))) {
                continue;
            }
            Row row = parse(text);
            if (row != null) {
                rows++;
                return row;
            }
        }
        return null;
    }

    private Row parse(String text) {
        ObjectNode object;
        if (settings.format() == Format.JSONL) {
            try {
                JsonNode node = JSON.readTree(text);
                if (!(node instanceof ObjectNode o)) {
                    return skip("not a JSON object");
                }
                object = o;
            } catch (IOException e) {
                return skip("not valid JSON");
            }
        } else {
            List<String> cells = splitCsv(text);
            if (cells.size() != header.size()) {
                return skip(cells.size() + " values for " + header.size() + " columns");
            }
            object = JSON.createObjectNode();
            for (int i = 0; i < cells.size(); i++) {
                String cell = cells.get(i);
                String column = header.get(i);
                // An empty cell (or ARFF's '?') is a missing value: leaving the field out lets optional fields work.
                if (cell.isEmpty() || (settings.format() == Format.ARFF && cell.equals("?"))) {
                    continue;
                }
                if (NUMBER.matcher(cell).matches() && !settings.stringColumns().contains(column)) {
                    if (cell.indexOf('.') < 0 && cell.indexOf('e') < 0 && cell.indexOf('E') < 0
                            && cell.length() < 19) {
                        object.put(column, Long.parseLong(cell));
                    } else {
                        object.put(column, Double.parseDouble(cell));
                    }
                } else {
                    object.put(column, cell);
                }
            }
        }
        long time;
        if (settings.syntheticStartMs() != null) {
            time = settings.syntheticStartMs() + rows * settings.syntheticStepMs();
        } else {
            JsonNode node = object.get(settings.timeColumn());
            Long parsed = node == null || node.isNull() ? null : time(node);
            if (parsed == null) {
                return skip(node == null || node.isNull() ? "no value in the time column '" + settings.timeColumn()
                    + "'" : "the time '" + node.asText() + "' is not " + expected());
            }
            time = parsed;
        }
        object.put(settings.timeColumn(), time);
        String key = null;
        if (settings.keyColumn() != null) {
            JsonNode keyNode = object.get(settings.keyColumn());
            if (keyNode == null || keyNode.isNull() || !keyNode.isValueNode()) {
                return skip("no value in the key column '" + settings.keyColumn() + "'");
            }
            key = keyNode.asText();
        }
        try {
            return new Row(line, time, key, JSON.writeValueAsBytes(object));
        } catch (IOException e) {
            throw new IllegalStateException("A JSON tree did not serialise", e);
        }
    }

    private Long time(JsonNode node) {
        TimeFormat format = settings.timeFormat();
        if (node.isIntegralNumber()) {
            return switch (format) {
                case AUTO, EPOCH_MS -> node.longValue();
                case EPOCH_S -> node.longValue() * 1000;
                case ISO -> null;
            };
        }
        if (node.isNumber() && format == TimeFormat.EPOCH_S) {
            return Math.round(node.doubleValue() * 1000);
        }
        if (!node.isTextual() || format == TimeFormat.EPOCH_MS || format == TimeFormat.EPOCH_S) {
            return null;
        }
        String text = node.textValue().trim().replace(' ', 'T');
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException e) {
            // Not an instant; try a local date-time or a date, read as UTC.
        }
        try {
            return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            // Not a local date-time either.
        }
        try {
            return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private String expected() {
        return switch (settings.timeFormat()) {
            case AUTO -> "epoch milliseconds or an ISO-8601 instant, date-time or date";
            case EPOCH_MS -> "a whole number of epoch milliseconds";
            case EPOCH_S -> "a number of epoch seconds";
            case ISO -> "an ISO-8601 instant, date-time or date";
        };
    }

    private Row skip(String why) {
        skippedCount++;
        if (skipped.size() < 5) {
            skipped.add("line " + line + ": " + why);
        }
        return null;
    }

    long rowsRead() {
        return rows;
    }

    long skippedCount() {
        return skippedCount;
    }

    /** The first few skipped rows, with their line numbers and reasons. */
    List<String> skippedExamples() {
        return skipped;
    }

    /** The fraction of the file read so far, from 0 to 1 (of the compressed bytes for a gzipped file). */
    double fractionRead() {
        return fileSize == 0 ? 1.0 : Math.min(1.0, (double) counted.count / fileSize);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    private List<String> readArffHeader(Path file) throws IOException {
        List<String> columns = new ArrayList<>();
        String text;
        while ((text = reader.readLine()) != null) {
            line++;
            String trimmed = text.trim();
            String lower = trimmed.toLowerCase(Locale.ROOT);
            if (lower.startsWith("@attribute")) {
                String rest = trimmed.substring("@attribute".length()).trim();
                String name = rest.startsWith("'") ? rest.substring(1, rest.indexOf('\'', 1))
                    : rest.split("\\s+", 2)[0];
                columns.add(name);
            } else if (lower.startsWith("@data")) {
                return columns;
            }
        }
        throw new LauncherException("The ARFF file " + file + " has no @data section.");
    }

    /** Splits one CSV line: commas, double-quoted cells with "" for a quote. A cell cannot span lines. */
    static List<String> splitCsv(String text) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString().trim());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString().trim());
        return cells;
    }

    /** Counts the bytes read from the file, for the progress bar. */
    private static final class CountingStream extends FilterInputStream {
        private volatile long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
