package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.rlhf4j.tasks.data.JsonlFiles.assertFails;
import static org.rlhf4j.tasks.data.JsonlFiles.lines;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptReadingTest {

    @TempDir
    Path dir;

    private final JsonlReader<PromptExample> reader = JsonlReader.prompts();

    @Test
    void promptsAreRead() {
        Path file = lines(dir, "prompts.jsonl", "{\"prompt\": \"Once upon a time\"}", "{\"prompt\": \"It was\"}");

        assertEquals(List.of(new PromptExample("Once upon a time"), new PromptExample("It was")), reader.readAll(file));
    }

    @Test
    void thePromptsOfSftAndPreferenceFilesCanBeReused() {
        Path file = lines(dir, "mixed.jsonl",
                "{\"prompt\": \"a\", \"completion\": \"c\"}",
                "{\"prompt\": \"b\", \"chosen\": \"x\", \"rejected\": \"y\", \"margin\": 1}");

        assertEquals(List.of(new PromptExample("a"), new PromptExample("b")), reader.readAll(file));
    }

    @Test
    void aTextFileHasNoPromptsToReuse() {
        Path file = lines(dir, "sft.jsonl", "{\"text\": \"t\"}");

        assertFails(reader, file, 1, "unknown field \"text\": expected only \"prompt\", \"completion\", \"chosen\", "
                + "\"rejected\", \"margin\" (ignored: \"id\", \"prompt_id\", \"source\")");
    }

    @Test
    void aMissingOrEmptyPromptIsRejected() {
        assertFails(reader, lines(dir, "a.jsonl", "{\"id\": 3}"), 1, "missing field \"prompt\"");
        assertFails(reader, lines(dir, "b.jsonl", "{\"prompt\": \"\"}"), 1,
                "field \"prompt\": expected a non-empty string, got \"\"");
    }

    @Test
    void aConversationalPromptIsRejected() {
        Path file = lines(dir, "prompts.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");

        assertFails(reader, file, 1, "field \"prompt\": TRL's conversational format (a list of {\"role\", "
                + "\"content\"} messages) is not supported; only the standard text format is supported: "
                + "{\"prompt\": \"...\"}");
    }
}
