package dev.freshet.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.launcher.internal.ReplaySource.Format;
import dev.freshet.launcher.internal.ReplaySource.Row;
import dev.freshet.launcher.internal.ReplaySource.Settings;
import dev.freshet.launcher.internal.ReplaySource.TimeFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplaySourceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void readsAGzippedCsvWithIsoLocalTimesAsUtcMillisAndTypedCells() throws IOException {
        Path file = gzip("flights.csv.gz", """
            date,delay,distance,origin,note
            2001-01-01T00:01,33,2176.5,LAS,"late, again"
            2001-01-01T00:02,-4,215,ATL,
            """);

        List<Row> rows = readAll(file, settings(Format.CSV, "date", "origin"));

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).eventTimeMs()).isEqualTo(978307260000L);
        assertThat(rows.get(0).key()).isEqualTo("LAS");
        JsonNode first = JSON.readTree(rows.get(0).value());
        assertThat(first.get("date").longValue()).isEqualTo(978307260000L);
        assertThat(first.get("delay").isIntegralNumber()).isTrue();
        assertThat(first.get("distance").doubleValue()).isEqualTo(2176.5);
        assertThat(first.get("note").textValue()).isEqualTo("late, again");
        // An empty cell is a missing value.
        assertThat(JSON.readTree(rows.get(1).value()).has("note")).isFalse();
    }

    @Test
    void keepsNamedColumnsAsStrings() throws IOException {
        Path file = write("zips.csv", "t,zip\n1000,02134\n");

        Row row = readAll(file, new Settings(Format.CSV, "t", TimeFormat.AUTO, null, null, 0, Set.of("zip")))
            .get(0);

        assertThat(JSON.readTree(row.value()).get("zip").textValue()).isEqualTo("02134");
    }

    @Test
    void readsEpochSecondsWhenToldTo() throws IOException {
        Path file = write("s.jsonl", "{\"ts\": 1700000000, \"x\": 1}\n{\"ts\": 1700000000.5}\n");

        List<Row> rows = readAll(file, new Settings(Format.JSONL, "ts", TimeFormat.EPOCH_S, null, null, 0,
            Set.of()));

        assertThat(rows).extracting(Row::eventTimeMs).containsExactly(1_700_000_000_000L, 1_700_000_000_500L);
    }

    @Test
    void numbersTheRowsOfAnArffFileWithSyntheticTimes() throws IOException {
        Path file = write("elec.arff", """
            % comment
            @relation elec
            @attribute date numeric
            @attribute nswprice numeric
            @attribute class {UP,DOWN}
            @data
            0,0.05,UP
            0,?,DOWN
            """);

        List<Row> rows = readAll(file, new Settings(Format.ARFF, "event_time", TimeFormat.AUTO, null,
            1_000L, 1_800_000L, Set.of()));

        assertThat(rows).extracting(Row::eventTimeMs).containsExactly(1_000L, 1_801_000L);
        JsonNode second = JSON.readTree(rows.get(1).value());
        assertThat(second.get("event_time").longValue()).isEqualTo(1_801_000L);
        assertThat(second.get("class").textValue()).isEqualTo("DOWN");
        assertThat(second.has("nswprice")).isFalse();
    }

    @Test
    void skipsAndCountsRowsItCannotUseWithTheirLineNumbers() throws IOException {
        Path file = write("bad.csv", "t,x\n1000,1\nyesterday,2\n3000\n4000,4\n");
        ReplaySource source = new ReplaySource(file, settings(Format.CSV, "t", null));

        List<Row> rows = new ArrayList<>();
        for (Row row; (row = source.next()) != null; ) {
            rows.add(row);
        }

        assertThat(rows).extracting(Row::eventTimeMs).containsExactly(1000L, 4000L);
        assertThat(source.skippedCount()).isEqualTo(2);
        assertThat(source.skippedExamples()).containsExactly(
            "line 3: the time 'yesterday' is not epoch milliseconds or an ISO-8601 instant, date-time or date",
            "line 4: 1 values for 2 columns");
    }

    @Test
    void refusesAFileWithoutTheTimeColumnNamingItsColumns() throws IOException {
        Path file = write("no-time.csv", "a,b\n1,2\n");

        assertThatThrownBy(() -> new ReplaySource(file, settings(Format.CSV, "event_time", null)))
            .isInstanceOf(LauncherException.class)
            .hasMessageContaining("has no column 'event_time' (its columns: a, b)");
    }

    @Test
    void tellsTheFormatFromTheFileName() {
        assertThat(ReplaySource.formatOf(Path.of("x.csv.gz"))).isEqualTo(Format.CSV);
        assertThat(ReplaySource.formatOf(Path.of("x.ndjson"))).isEqualTo(Format.JSONL);
        assertThat(ReplaySource.formatOf(Path.of("x.arff"))).isEqualTo(Format.ARFF);
        assertThat(ReplaySource.formatOf(Path.of("x.parquet"))).isNull();
    }

    private static Settings settings(Format format, String timeColumn, String key) {
        return new Settings(format, timeColumn, TimeFormat.AUTO, key, null, 0, Set.of());
    }

    private static List<Row> readAll(Path file, Settings settings) throws IOException {
        List<Row> rows = new ArrayList<>();
        try (ReplaySource source = new ReplaySource(file, settings)) {
            for (Row row; (row = source.next()) != null; ) {
                rows.add(row);
            }
        }
        return rows;
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path gzip(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return file;
    }
}
