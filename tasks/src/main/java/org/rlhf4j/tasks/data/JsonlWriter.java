package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import org.rlhf4j.model.io.AtomicFiles;

/**
 * Writes examples as JSONL in the format {@link JsonlReader} reads: UTF-8 without a byte order mark,
 * one JSON object per line, each line ended by {@code '\n'}, fields in a fixed order. Jackson escapes
 * what JSON requires (quotes, backslashes, control characters including newlines) and writes every
 * other character as plain UTF-8, so the file stays readable.
 *
 * <p>Writing is atomic ({@link AtomicFiles}): the lines go to a temporary file in the same directory,
 * which is flushed to disk and then renamed over the target. If anything fails, including the
 * caller's {@link Iterable} throwing halfway, the temporary file is deleted and an existing target is
 * left as it was, so no reader ever sees half a file.
 */
public final class JsonlWriter<T> {

    // Without this Jackson writes a character outside the BMP (an emoji) as two escaped surrogates.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();
    private static final int BUFFER_BYTES = 64 * 1024;

    private final ExampleFormat<T> format;

    private JsonlWriter(ExampleFormat<T> format) {
        this.format = format;
    }

    /** Writes {@code {"prompt", "completion"}}, or {@code {"text"}} for a {@link SftExample#wholeText()}. */
    public static JsonlWriter<SftExample> sft() {
        return new JsonlWriter<>(new SftFormat());
    }

    /** Writes {@code {"prompt", "chosen", "rejected"}}, and {@code "margin"} when there is one. */
    public static JsonlWriter<PreferenceExample> preferences() {
        return new JsonlWriter<>(new PreferenceFormat());
    }

    /** Writes {@code {"prompt"}}. */
    public static JsonlWriter<PromptExample> prompts() {
        return new JsonlWriter<>(new PromptFormat());
    }

    /**
     * Replaces {@code file} with {@code examples}, one per line, taking them one at a time from the
     * iterable (so a large data set need not be in memory); returns how many were written.
     *
     * @throws DataFileException if {@code examples} is empty (the reader would refuse the file) or
     *     the file cannot be written; either way {@code file} is unchanged
     * @throws NullPointerException if an example is null; {@code file} is unchanged
     */
    public long write(Path file, Iterable<? extends T> examples) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(examples, "examples");
        long[] written = {0};
        try {
            AtomicFiles.writeAtomically(file, temp -> {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), BUFFER_BYTES)) {
                    for (T example : examples) {
                        Objects.requireNonNull(example, () -> "example " + (written[0] + 1) + " is null");
                        ObjectNode json = JSON.createObjectNode();
                        format.write(example, json);
                        out.write(JSON.writeValueAsBytes(json));
                        out.write('\n');
                        written[0]++;
                    }
                }
                if (written[0] == 0) {
                    throw new DataFileException(file, "no " + format.kind()
                            + " to write: a data file needs at least one, or reading it back fails");
                }
            });
        } catch (IOException e) {
            throw new DataFileException(file, "cannot write: " + reason(e), e);
        }
        return written[0];
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
