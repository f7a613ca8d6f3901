package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.rlhf4j.tasks.data.JsonlFiles.assertFails;
import static org.rlhf4j.tasks.data.JsonlFiles.lines;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftReadingTest {

    private static final String IGNORED = " (ignored: \"id\", \"prompt_id\", \"source\")";
    private static final String STANDARD = "only the standard text format is supported: "
            + "{\"prompt\": \"...\", \"completion\": \"...\"} or {\"text\": \"...\"}";

    @TempDir
    Path dir;

    private final JsonlReader<SftExample> reader = JsonlReader.sft();

    @Test
    void promptCompletionLinesAndTextLinesMayShareAFile() {
        Path file = lines(dir, "sft.jsonl",
                "{\"prompt\": \"The sky is\", \"completion\": \" blue.\"}",
                "{\"text\": \"The sky is blue.\"}",
                "{\"completion\": \"reordered\", \"prompt\": \"\"}");

        assertEquals(List.of(SftExample.of("The sky is", " blue."), SftExample.ofText("The sky is blue."),
                SftExample.of("", "reordered")), reader.readAll(file));
    }

    @Test
    void textTogetherWithPromptOrCompletionOnOneLineIsRejected() {
        assertFails(reader, lines(dir, "a.jsonl", "{\"prompt\": \"p\", \"text\": \"t\"}"), 1,
                "field \"text\" cannot be combined with \"prompt\": a line is either {\"prompt\", \"completion\"} or {\"text\"}");
        assertFails(reader, lines(dir, "b.jsonl", "{\"text\": \"t\", \"completion\": \"c\"}"), 1,
                "field \"text\" cannot be combined with \"completion\": a line is either {\"prompt\", \"completion\"} or {\"text\"}");
    }

    @Test
    void aMissingFieldIsNamed() {
        assertFails(reader, lines(dir, "a.jsonl", "{\"prompt\": \"p\"}"), 1, "missing field \"completion\"");
        assertFails(reader, lines(dir, "b.jsonl", "{\"completion\": \"c\"}"), 1, "missing field \"prompt\"");
        assertFails(reader, lines(dir, "c.jsonl", "{}"), 1, "missing field \"text\", or \"prompt\" and \"completion\"");
        assertFails(reader, lines(dir, "d.jsonl", "{\"id\": 7}"), 1,
                "missing field \"text\", or \"prompt\" and \"completion\"");
    }

    @Test
    void aValueOfTheWrongTypeIsReportedWithWhatWasFound() {
        String prefix = "{\"prompt\": \"p\", \"completion\": ";
        assertFails(reader, lines(dir, "a.jsonl", prefix + "3}"), 1,
                "field \"completion\": expected a string, got number 3");
        assertFails(reader, lines(dir, "b.jsonl", prefix + "null}"), 1,
                "field \"completion\": expected a string, got null");
        assertFails(reader, lines(dir, "c.jsonl", prefix + "true}"), 1,
                "field \"completion\": expected a string, got boolean true");
        assertFails(reader, lines(dir, "d.jsonl", prefix + "[\"a\", \"b\"]}"), 1,
                "field \"completion\": expected a string, got array [\"a\",\"b\"]");
        assertFails(reader, lines(dir, "e.jsonl", "{\"text\": {\"nested\": \"" + "x".repeat(80) + "\"}}"), 1,
                "field \"text\": expected a string, got object {\"nested\":\"" + "x".repeat(49) + "...");
    }

    @Test
    void anEmptyCompletionOrTextIsRejectedButAnEmptyPromptIsNot() {
        assertFails(reader, lines(dir, "a.jsonl", "{\"prompt\": \"p\", \"completion\": \"\"}"), 1,
                "field \"completion\": expected a non-empty string, got \"\"");
        assertFails(reader, lines(dir, "b.jsonl", "{\"text\": \"\"}"), 1,
                "field \"text\": expected a non-empty string, got \"\"");
    }

    @Test
    void anUnpairedSurrogateEscapeIsRejected() {
        Path file = lines(dir, "sft.jsonl", "{\"text\": \"ok \\ud83d\\ude00\"}", "{\"text\": \"bad \\ud83d!\"}");

        assertFails(reader, file, 2,
                "field \"text\": expected valid Unicode text, got an unpaired surrogate \\ud83d at character 5");
    }

    @Test
    void anUnknownFieldIsReportedWithTheFieldsThatAreExpected() {
        Path file = lines(dir, "sft.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\", \"completion_text\": \"c\"}");

        assertFails(reader, file, 1,
                "unknown field \"completion_text\": expected only \"prompt\", \"completion\", \"text\"" + IGNORED);
    }

    @Test
    void anUnpairedPreferenceLineOfKtoIsNotMistakenForSft() {
        Path file = lines(dir, "kto.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\", \"label\": false}");

        assertFails(reader, file, 1, "unknown field \"label\": expected only \"prompt\", \"completion\", \"text\"" + IGNORED);
    }

    @Test
    void identifiersAndProvenanceAreIgnoredByDefault() {
        Path file = lines(dir, "sft.jsonl",
                "{\"id\": 1, \"prompt\": \"p\", \"completion\": \"c\", \"source\": {\"any\": [\"thing\"]}}",
                "{\"prompt_id\": \"abc\", \"text\": \"t\"}");

        assertEquals(List.of(SftExample.of("p", "c"), SftExample.ofText("t")), reader.readAll(file));
    }

    @Test
    void theIgnoredFieldsCanBeReplacedOrEmptied() {
        Path file = lines(dir, "sft.jsonl", "{\"id\": 1, \"lang\": \"en\", \"text\": \"t\"}");

        assertEquals(List.of(SftExample.ofText("t")), reader.withIgnoredFields(Set.of("id", "lang")).readAll(file));
        assertFails(reader.withIgnoredFields(Set.of()), file, 1,
                "unknown field \"id\": expected only \"prompt\", \"completion\", \"text\"");
    }

    @Test
    void theConversationalMessagesFormatIsRejected() {
        Path file = lines(dir, "sft.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}");

        assertFails(reader, file, 1, "field \"messages\": TRL's conversational format (a list of {\"role\", "
                + "\"content\"} messages) is not supported; " + STANDARD);
    }

    @Test
    void theConversationalPromptCompletionFormatIsRejected() {
        Path file = lines(dir, "sft.jsonl",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}],"
                        + " \"completion\": [{\"role\": \"assistant\", \"content\": \"Hello\"}]}");

        assertFails(reader, file, 1, "field \"prompt\": TRL's conversational format (a list of {\"role\", "
                + "\"content\"} messages) is not supported; " + STANDARD);
    }

    @Test
    void aConversationalFieldCanBeIgnoredWhenTheTextFieldsAreStandard() {
        Path file = lines(dir, "sft.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"prompt\": \"Hi\", \"completion\": \"!\"}");

        assertEquals(List.of(SftExample.of("Hi", "!")),
                reader.withIgnoredFields(Set.of("messages")).readAll(file));
    }

    @Test
    void aPreferenceFileIsNotMistakenForSft() {
        Path file = lines(dir, "prefs.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}");

        assertFails(reader, file, 1, "unknown field \"chosen\": expected only \"prompt\", \"completion\", \"text\"" + IGNORED);
    }
}
