package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rlhf4j.tasks.data.JsonlFiles.assertFails;
import static org.rlhf4j.tasks.data.JsonlFiles.bytes;
import static org.rlhf4j.tasks.data.JsonlFiles.concat;
import static org.rlhf4j.tasks.data.JsonlFiles.lines;

import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every reader does with the lines of a file, before any field is looked at. */
class JsonlReaderLinesTest {

    private static final String GOOD = "{\"prompt\":\"p\",\"completion\":\"c\"}";
    private static final SftExample GOOD_EXAMPLE = SftExample.of("p", "c");

    @TempDir
    Path dir;

    private final JsonlReader<SftExample> reader = JsonlReader.sft();

    @Test
    void numberedExamplesCarryTheirLineCountingBlankLines() {
        Path file = lines(dir, "sft.jsonl", GOOD, "", "  ", "{\"text\":\"t\"}");

        List<JsonlReader.Numbered<SftExample>> read = reader.readAllNumbered(file);

        assertEquals(List.of(new JsonlReader.Numbered<>(1, GOOD_EXAMPLE),
                new JsonlReader.Numbered<>(4, SftExample.ofText("t"))), read);
    }

    @Test
    void anInvalidUtf8ByteIsReportedWithItsPositionInTheLine() {
        // {"text":"abc\xFF"} : 0xFF is the 13th byte of line 2
        Path file = bytes(dir, "sft.jsonl", concat(GOOD + "\n{\"text\":\"abc", new byte[] {(byte) 0xFF}, "\"}\n"));

        assertFails(reader, file, 2, "invalid UTF-8 at byte 13 of the line");
    }

    @Test
    void aMultiByteSequenceCutShortByTheEndOfTheLineIsInvalidUtf8() {
        Path file = bytes(dir, "sft.jsonl", concat("{\"text\":\"", new byte[] {(byte) 0xC3}, "\n\"}\n"));

        assertFails(reader, file, 1, "invalid UTF-8 at byte 10 of the line");
    }

    @Test
    void aSurrogateEncodedAsUtf8IsInvalidUtf8() {
        Path file = bytes(dir, "sft.jsonl",
                concat("{\"text\":\"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}\n"));

        assertFails(reader, file, 1, "invalid UTF-8 at byte 10 of the line");
    }

    @Test
    void anOverlongEncodingIsInvalidUtf8() {
        // 0xC0 0xAF is an overlong '/', a classic way to smuggle characters past filters
        Path file = bytes(dir, "sft.jsonl", concat("{\"text\":\"a", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}\n"));

        assertFails(reader, file, 1, "invalid UTF-8 at byte 11 of the line");
    }

    @Test
    void aLineLongerThanTheLimitIsReportedWithItsLength() {
        String longLine = "{\"text\":\"" + "a".repeat(2000 - 11) + "\"}";
        assertEquals(2000, longLine.length());
        Path file = lines(dir, "data.jsonl", GOOD, longLine, GOOD);

        assertFails(reader.withMaxLineBytes(1000), file, 2, "line is 2,000 bytes, longer than the 1,000-byte limit");
    }

    @Test
    void theDefaultLimitIsOneMebibyte() {
        Path file = lines(dir, "data.jsonl", GOOD, "x".repeat(2_000_000));

        assertEquals(1_048_576, reader.maxLineBytes());
        assertFails(reader, file, 2, "line is 2,000,000 bytes, longer than the 1,048,576-byte limit");
    }

    @Test
    void aLineFarLongerThanTheReadBufferIsMeasuredExactly() {
        // 300,000 bytes of two-byte characters span several 64 KiB reads, none of it kept past the limit
        Path file = lines(dir, "data.jsonl", "\u00e9".repeat(150_000), GOOD);

        assertFails(reader.withMaxLineBytes(100), file, 1, "line is 300,000 bytes, longer than the 100-byte limit");
    }

    @Test
    void aLineOfExactlyTheLimitIsReadWhetherItEndsInLfOrCrlf() {
        int limit = GOOD.length();
        Path lf = lines(dir, "lf.jsonl", GOOD, GOOD);
        Path crlf = bytes(dir, "crlf.jsonl", (GOOD + "\r\n" + GOOD + "\r\n").getBytes(StandardCharsets.UTF_8));
        Path unterminated = bytes(dir, "end.jsonl", (GOOD + "\n" + GOOD).getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of(GOOD_EXAMPLE, GOOD_EXAMPLE), reader.withMaxLineBytes(limit).readAll(lf));
        assertEquals(List.of(GOOD_EXAMPLE, GOOD_EXAMPLE), reader.withMaxLineBytes(limit).readAll(crlf));
        assertEquals(List.of(GOOD_EXAMPLE, GOOD_EXAMPLE), reader.withMaxLineBytes(limit).readAll(unterminated));
        assertFails(reader.withMaxLineBytes(limit - 1), crlf, 1,
                "line is " + limit + " bytes, longer than the " + (limit - 1) + "-byte limit");
    }

    @Test
    void aLineLimitOutsideOneByteToOneGibibyteIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.withMaxLineBytes(0));
        assertEquals("expected a line limit of 1 to 1073741824 bytes, got 0", e.getMessage());
    }

    @Test
    void blankLinesAnywhereAreSkippedButStillCounted() {
        Path file = lines(dir, "sft.jsonl", "", GOOD, "   ", "\t", GOOD, "", "", "{\"text\":3}", "");

        assertFails(reader, file, 8, "field \"text\": expected a string, got number 3");
        Path good = lines(dir, "good.jsonl", "", GOOD, " \t\r", GOOD, "", "");
        assertEquals(List.of(GOOD_EXAMPLE, GOOD_EXAMPLE), reader.readAll(good));
    }

    @Test
    void anEmptyFileHasNoExamples() {
        Path file = bytes(dir, "sft.jsonl", new byte[0]);

        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(file));

        assertEquals(file + ": no SFT examples: the file is empty or holds only blank lines", e.getMessage());
        assertEquals(DataFileException.NO_LINE, e.line());
    }

    @Test
    void aFileOfBlankLinesHasNoExamples() {
        Path file = lines(dir, "prefs.jsonl", "", " ", "\r");

        DataFileException e = assertThrows(DataFileException.class, () -> JsonlReader.preferences().readAll(file));

        assertEquals(file + ": no preference examples: the file is empty or holds only blank lines", e.getMessage());
    }

    @Test
    void aByteOrderMarkAtTheStartOfTheFileIsSkippedButNowhereElse() {
        Path bom = bytes(dir, "bom.jsonl", ("\ufeff" + GOOD + "\n").getBytes(StandardCharsets.UTF_8));
        Path second = lines(dir, "second.jsonl", GOOD, "\ufeff" + GOOD);

        assertEquals(List.of(GOOD_EXAMPLE), reader.readAll(bom));
        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(second));
        assertTrue(e.getMessage().startsWith(second + ":2: not valid JSON at column 1: "), e.getMessage());
    }

    @Test
    void aLineThatIsNotAJsonObjectIsReportedWithWhatItIs() {
        assertFails(reader, lines(dir, "a.jsonl", "[1, 2]"), 1, "not a JSON object, got array [1,2]");
        assertFails(reader, lines(dir, "b.jsonl", GOOD, "\"text\""), 2, "not a JSON object, got string \"text\"");
        assertFails(reader, lines(dir, "c.jsonl", "42"), 1, "not a JSON object, got number 42");
        assertFails(reader, lines(dir, "d.jsonl", "null"), 1, "not a JSON object, got null");
    }

    @Test
    void malformedJsonIsReportedWithItsColumn() {
        Path file = lines(dir, "x.jsonl", GOOD, GOOD, "{\"prompt\": \"p\", \"completion\": }");

        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(file));

        assertTrue(e.getMessage().startsWith(file + ":3: not valid JSON at column 31: "), e.getMessage());
        assertEquals(3, e.line());
    }

    @Test
    void anUnterminatedStringIsMalformedJson() {
        Path file = lines(dir, "x.jsonl", "{\"text\": \"no end}");

        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(file));

        assertTrue(e.getMessage().startsWith(file + ":1: not valid JSON at column "), e.getMessage());
    }

    @Test
    void aDuplicateFieldIsAnError() {
        Path file = lines(dir, "x.jsonl", "{\"prompt\":\"a\",\"completion\":\"b\",\"prompt\":\"c\"}");

        assertFails(reader, file, 1, "duplicate field \"prompt\"");
    }

    @Test
    void textAfterTheObjectIsAnError() {
        Path file = lines(dir, "x.jsonl", GOOD + " " + GOOD);

        assertFails(reader, file, 1,
                "not valid JSON at column " + (GOOD.length() + 2) + ": unexpected text after the JSON object");
    }

    @Test
    void aMissingFileIsReportedWithoutALine() {
        Path file = dir.resolve("absent.jsonl");

        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(file));

        assertEquals(file + ": cannot read: no such file", e.getMessage());
        assertInstanceOf(NoSuchFileException.class, e.getCause());
    }

    @Test
    void aDirectoryIsNotAFile() {
        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(dir));

        assertEquals(dir + ": cannot read: expected a JSONL file, got a directory", e.getMessage());
    }

    @Test
    void aStreamReadsOnlyAsFarAsItIsConsumed() {
        Path file = lines(dir, "sft.jsonl", GOOD, GOOD, "broken");

        try (Stream<SftExample> examples = reader.stream(file)) {
            assertEquals(List.of(GOOD_EXAMPLE, GOOD_EXAMPLE), examples.limit(2).toList());
        }
        try (Stream<SftExample> examples = reader.stream(file)) {
            DataFileException e = assertThrows(DataFileException.class, examples::count);
            assertEquals(3, e.line());
        }
    }

    @Test
    void aStreamOpensTheFileAtOnce() {
        Path file = dir.resolve("absent.jsonl");

        assertThrows(DataFileException.class, () -> reader.stream(file));
    }
}
