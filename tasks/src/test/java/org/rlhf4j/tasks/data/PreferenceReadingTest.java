package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.rlhf4j.tasks.data.JsonlFiles.assertFails;
import static org.rlhf4j.tasks.data.JsonlFiles.lines;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceReadingTest {

    private static final String GOOD = "{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}";

    @TempDir
    Path dir;

    private final JsonlReader<PreferenceExample> reader = JsonlReader.preferences();

    @Test
    void aComparisonIsReadWithItsOptionalMargin() {
        Path file = lines(dir, "prefs.jsonl", GOOD,
                "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": 2}",
                "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": -0.25}");

        assertEquals(List.of(new PreferenceExample("The sky is", " blue.", " green."),
                new PreferenceExample("p", "a", "b", OptionalDouble.of(2)),
                new PreferenceExample("p", "a", "b", OptionalDouble.of(-0.25))), reader.readAll(file));
    }

    @Test
    void anImplicitPromptIsReadAsAnEmptyPrompt() {
        Path file = lines(dir, "hh.jsonl",
                "{\"chosen\": \"\\n\\nHuman: Hi\\n\\nAssistant: Hello!\", \"rejected\": \"\\n\\nHuman: Hi\\n\\nAssistant: Go away.\"}");

        assertEquals(List.of(new PreferenceExample("", "\n\nHuman: Hi\n\nAssistant: Hello!",
                "\n\nHuman: Hi\n\nAssistant: Go away.")), reader.readAll(file));
    }

    @Test
    void aNumberWhereTextBelongsIsReported() {
        String[] lines = new String[17];
        Arrays.fill(lines, GOOD);
        lines[16] = "{\"prompt\": \"p\", \"chosen\": 3, \"rejected\": \"b\"}";

        assertFails(reader, lines(dir, "prefs.jsonl", lines), 17, "field \"chosen\": expected a string, got number 3");
    }

    @Test
    void aMissingResponseIsNamed() {
        Path file = lines(dir, "prefs.jsonl", GOOD, GOOD, GOOD, "{\"prompt\": \"p\", \"chosen\": \"a\"}");

        assertFails(reader, file, 4, "missing field \"rejected\"");
    }

    @Test
    void aPromptThatIsNotTextIsReported() {
        Path file = lines(dir, "prefs.jsonl", "{\"prompt\": null, \"chosen\": \"a\", \"rejected\": \"b\"}");

        assertFails(reader, file, 1, "field \"prompt\": expected a string, got null");
    }

    @Test
    void aMarginMustBeAFiniteJsonNumber() {
        String prefix = "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": ";
        assertFails(reader, lines(dir, "a.jsonl", prefix + "\"1.5\"}"), 1,
                "field \"margin\": expected a number, got string \"1.5\"");
        assertFails(reader, lines(dir, "b.jsonl", prefix + "null}"), 1, "field \"margin\": expected a number, got null");
        assertFails(reader, lines(dir, "c.jsonl", prefix + "1e400}"), 1,
                "field \"margin\": expected a finite number, got Infinity");
    }

    @Test
    void anEmptyResponseIsRejected() {
        Path file = lines(dir, "prefs.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"\"}");

        assertFails(reader, file, 1, "field \"rejected\": expected a non-empty string, got \"\"");
    }

    @Test
    void anUnknownFieldIsReportedWithTheFieldsThatAreExpected() {
        Path file = lines(dir, "prefs.jsonl", "{\"prompt\": \"p\", \"chosen_text\": \"a\", \"rejected\": \"b\"}");

        assertFails(reader, file, 1, "unknown field \"chosen_text\": expected only \"prompt\", \"chosen\", "
                + "\"rejected\", \"margin\" (ignored: \"id\", \"prompt_id\", \"source\")");
    }

    @Test
    void conversationalResponsesAreRejected() {
        Path file = lines(dir, "prefs.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}],"
                + " \"chosen\": [{\"role\": \"assistant\", \"content\": \"Hello\"}],"
                + " \"rejected\": [{\"role\": \"assistant\", \"content\": \"Go away\"}]}");

        assertFails(reader, file, 1, "field \"prompt\": TRL's conversational format (a list of {\"role\", "
                + "\"content\"} messages) is not supported; only the standard text format is supported: "
                + "{\"prompt\": \"...\", \"chosen\": \"...\", \"rejected\": \"...\"}");
    }
}
