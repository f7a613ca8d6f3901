package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.rlhf4j.tasks.data.JsonlFiles.names;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlWriterTest {

    @TempDir
    Path dir;

    @Test
    void aWriteThatFailsHalfwayLeavesNoFileAndNoTemporaryFile() {
        Path file = dir.resolve("sft.jsonl");
        IllegalStateException failure = new IllegalStateException("source broke");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> JsonlWriter.sft().write(file, failingAfter(5_000, failure)));

        assertSame(failure, e);
        assertEquals(List.of(), names(dir));
    }

    @Test
    void aWriteThatFailsHalfwayLeavesTheOldFileAsItWas() throws IOException {
        Path file = dir.resolve("sft.jsonl");
        JsonlWriter.sft().write(file, List.of(SftExample.ofText("old")));
        byte[] old = Files.readAllBytes(file);

        assertThrows(IllegalStateException.class,
                () -> JsonlWriter.sft().write(file, failingAfter(5_000, new IllegalStateException("broke"))));

        assertEquals(Arrays.toString(old), Arrays.toString(Files.readAllBytes(file)));
        assertEquals(List.of("sft.jsonl"), names(dir));
    }

    @Test
    void aNullExampleFailsTheWholeWrite() {
        Path file = dir.resolve("prompts.jsonl");
        List<PromptExample> examples = new ArrayList<>();
        examples.add(new PromptExample("a"));
        examples.add(null);

        NullPointerException e = assertThrows(NullPointerException.class, () -> JsonlWriter.prompts().write(file, examples));

        assertEquals("example 2 is null", e.getMessage());
        assertEquals(List.of(), names(dir));
    }

    @Test
    void noExamplesAreRefusedBecauseTheFileCouldNotBeReadBack() {
        Path file = dir.resolve("prefs.jsonl");

        DataFileException e = assertThrows(DataFileException.class,
                () -> JsonlWriter.preferences().write(file, List.of()));

        assertEquals(file + ": no preference examples to write: a data file needs at least one, or reading it back fails",
                e.getMessage());
        assertEquals(List.of(), names(dir));
    }

    @Test
    void aMissingDirectoryIsReported() {
        Path file = dir.resolve("absent").resolve("sft.jsonl");

        DataFileException e = assertThrows(DataFileException.class,
                () -> JsonlWriter.sft().write(file, List.of(SftExample.ofText("t"))));

        assertEquals(file + ": cannot write: no such directory", e.getMessage());
        assertInstanceOf(NoSuchFileException.class, e.getCause());
    }

    @Test
    void aSuccessfulWriteReplacesTheOldFileAndLeavesNothingElse() {
        Path file = dir.resolve("prompts.jsonl");
        JsonlWriter.prompts().write(file, List.of(new PromptExample("old 1"), new PromptExample("old 2")));

        JsonlWriter.prompts().write(file, List.of(new PromptExample("new")));

        assertEquals(List.of(new PromptExample("new")), JsonlReader.prompts().readAll(file));
        assertEquals(List.of("prompts.jsonl"), names(dir));
        assertFalse(Files.isDirectory(file));
    }

    /** Examples that break after {@code count} of them, as a failing upstream source would. */
    private static Iterable<SftExample> failingAfter(int count, RuntimeException failure) {
        return () -> new Iterator<>() {
            private int given;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public SftExample next() {
                if (given == count) {
                    throw failure;
                }
                given++;
                return SftExample.of("prompt " + given, "completion " + given);
            }
        };
    }
}
