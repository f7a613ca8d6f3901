package org.rlhf4j.tasks.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Test files written byte for byte, and the one assertion every error test makes. */
final class JsonlFiles {

    private JsonlFiles() {
    }

    /** A file of {@code lines}, each ended by {@code '\n'}. */
    static Path lines(Path directory, String name, String... lines) {
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append('\n');
        }
        return bytes(directory, name, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Path bytes(Path directory, String name, byte[] content) {
        Path file = directory.resolve(name);
        try {
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The UTF-8 bytes of {@code before}, then {@code raw}, then those of {@code after}. */
    static byte[] concat(String before, byte[] raw, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(raw);
        out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** Asserts that reading {@code file} fails with exactly {@code file + ":" + line + ": " + problem}. */
    static DataFileException assertFails(JsonlReader<?> reader, Path file, long line, String problem) {
        DataFileException e = assertThrows(DataFileException.class, () -> reader.readAll(file));
        assertEquals(file + ":" + line + ": " + problem, e.getMessage());
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        assertEquals(problem, e.problem());
        return e;
    }

    /** The names of the files in {@code directory}. */
    static List<String> names(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
