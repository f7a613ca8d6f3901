package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads examples from a JSONL file in TRL's standard text formats, strictly, one line at a time.
 *
 * <p>{@link #sft()}: {@code {"prompt", "completion"}} or {@code {"text"}} per line, not both.
 * {@link #preferences()}: {@code {"prompt", "chosen", "rejected"}}, optional number {@code "margin"},
 * {@code "prompt"} may be left out (TRL's implicit prompt). {@link #prompts()}: {@code {"prompt"}}; the
 * response fields of the other two formats are allowed and ignored, so their prompts can be reused.
 * TRL's conversational format (lists of {@code {"role", "content"}} messages, or a
 * {@code "messages"} field) is rejected: only the standard text format is supported.
 *
 * <p>Rules, each broken with a {@link DataFileException} naming the file, the 1-based line and what
 * was expected and found:
 * <ul>
 *   <li>The file is UTF-8 (checked strictly, per line; a byte order mark at the start is skipped);
 *       lines end with LF or CRLF.</li>
 *   <li>A line holds at most {@link #maxLineBytes()} bytes (default {@value #DEFAULT_MAX_LINE_BYTES});
 *       a longer one is measured without being held in memory.</li>
 *   <li>Blank lines (only spaces, tabs or CR) are skipped wherever they are: they carry no data, and
 *       files assembled by {@code cat} or edited by hand often have them. They still count in line
 *       numbers.</li>
 *   <li>Every other line is one JSON object, without duplicate fields or anything after it.</li>
 *   <li>Text fields are strings of valid Unicode; responses ({@code completion}, {@code text},
 *       {@code chosen}, {@code rejected}) and RL prompts are not empty, SFT and preference prompts may be.</li>
 *   <li>A field the format does not define is an error unless it is in {@link #ignoredFields()}
 *       (default {@code id}, {@code prompt_id}, {@code source}). Strict with an allowlist rather than
 *       lenient, because a silently ignored field is usually a mistake that costs a training run: a
 *       misspelt {@code "margins"}, or a KTO file ({@code "prompt", "completion", "label"}) read as SFT
 *       data, which would train on the undesirable completions too. Identifiers and provenance never
 *       change training, so they are ignored by default; other metadata is one
 *       {@link #withIgnoredFields} away.</li>
 *   <li>A file without a single example is an error: it is almost always the wrong file.</li>
 * </ul>
 *
 * <p>Readers are immutable and may be shared; each {@link #stream} has its own file handle.
 */
public final class JsonlReader<T> {

    /** The default longest line, in bytes: far above any sensible example, far below a heap. */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    /** The largest limit {@link #withMaxLineBytes} accepts. */
    public static final int MAX_LINE_BYTES_LIMIT = 1 << 30;

    /** Metadata fields ignored unless {@link #withIgnoredFields} says otherwise. */
    public static final Set<String> DEFAULT_IGNORED_FIELDS = Set.of("id", "prompt_id", "source");

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final ExampleFormat<T> format;
    private final int maxLineBytes;
    private final Set<String> ignoredFields;

    private JsonlReader(ExampleFormat<T> format, int maxLineBytes, Set<String> ignoredFields) {
        this.format = format;
        this.maxLineBytes = maxLineBytes;
        this.ignoredFields = ignoredFields;
    }

    /** A reader of SFT examples: {@code {"prompt", "completion"}} or {@code {"text"}}. */
    public static JsonlReader<SftExample> sft() {
        return new JsonlReader<>(new SftFormat(), DEFAULT_MAX_LINE_BYTES, DEFAULT_IGNORED_FIELDS);
    }

    /** A reader of preference examples: {@code {"prompt", "chosen", "rejected"}}, optional {@code "margin"}. */
    public static JsonlReader<PreferenceExample> preferences() {
        return new JsonlReader<>(new PreferenceFormat(), DEFAULT_MAX_LINE_BYTES, DEFAULT_IGNORED_FIELDS);
    }

    /** A reader of RL prompts: {@code {"prompt"}}. */
    public static JsonlReader<PromptExample> prompts() {
        return new JsonlReader<>(new PromptFormat(), DEFAULT_MAX_LINE_BYTES, DEFAULT_IGNORED_FIELDS);
    }

    /** This reader with a different longest line, 1 to {@value #MAX_LINE_BYTES_LIMIT} bytes. */
    public JsonlReader<T> withMaxLineBytes(int maxLineBytes) {
        if (maxLineBytes < 1 || maxLineBytes > MAX_LINE_BYTES_LIMIT) {
            throw new IllegalArgumentException(
                    "expected a line limit of 1 to " + MAX_LINE_BYTES_LIMIT + " bytes, got " + maxLineBytes);
        }
        return new JsonlReader<>(format, maxLineBytes, ignoredFields);
    }

    /**
     * This reader ignoring exactly {@code fields} (replacing the current set; pass an empty set for
     * no exceptions at all). An ignored field is dropped before any check, as if it were absent.
     */
    public JsonlReader<T> withIgnoredFields(Set<String> fields) {
        return new JsonlReader<>(format, maxLineBytes, Set.copyOf(fields));
    }

    public int maxLineBytes() {
        return maxLineBytes;
    }

    public Set<String> ignoredFields() {
        return ignoredFields;
    }

    /**
     * Every example in {@code file}, in order. Reads the file once, line by line; only the examples
     * are kept.
     *
     * @throws DataFileException on the first line that breaks a rule, or if the file cannot be read
     */
    public List<T> readAll(Path file) {
        List<T> examples = new ArrayList<>();
        try (Stream<T> stream = stream(file)) {
            stream.forEachOrdered(examples::add);
        }
        return examples;
    }

    /** An example and the 1-based line of the file it was read from. */
    public record Numbered<T>(long line, T example) {}

    /**
     * Like {@link #readAll}, each example with its line number (blank lines counted, as in an
     * editor), so that a later check of an example can name its line.
     */
    public List<Numbered<T>> readAllNumbered(Path file) {
        Objects.requireNonNull(file, "file");
        Examples examples = new Examples(file, open(file));
        List<Numbered<T>> out = new ArrayList<>();
        try {
            while (examples.hasNext()) {
                // hasNext read exactly the example next() returns, so lastLine is its line
                T example = examples.next();
                out.add(new Numbered<>(examples.lastLine, example));
            }
        } finally {
            examples.close();
        }
        return out;
    }

    /**
     * The examples in {@code file}, read lazily as the stream is consumed; close it (try-with-resources)
     * to release the file. The file is opened now, so a missing file fails here; each line is checked
     * when it is reached, and an empty file fails when the stream finds no first example.
     *
     * @throws DataFileException if the file cannot be opened, and from the stream's terminal operation
     *     on the first line that breaks a rule
     */
    public Stream<T> stream(Path file) {
        Objects.requireNonNull(file, "file");
        Examples examples = new Examples(file, open(file));
        Spliterator<T> spliterator = Spliterators.spliteratorUnknownSize(
                examples, Spliterator.ORDERED | Spliterator.NONNULL);
        return StreamSupport.stream(spliterator, false).onClose(examples::close);
    }

    private JsonlLineReader open(Path file) {
        if (Files.isDirectory(file)) {
            throw new DataFileException(file, "cannot read: expected a JSONL file, got a directory");
        }
        try {
            return new JsonlLineReader(Files.newInputStream(file), file, maxLineBytes);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static DataFileException unreadable(Path file, IOException e) {
        String reason;
        if (e instanceof NoSuchFileException) {
            reason = "no such file";
        } else if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else {
            reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return new DataFileException(file, "cannot read: " + reason, e);
    }

    /** The examples of one open file, one line ahead of the caller. */
    private final class Examples implements Iterator<T> {

        private final Path file;
        private final JsonlLineReader lines;
        private T next;
        private long count;
        private long lastLine;
        private boolean finished;

        Examples(Path file, JsonlLineReader lines) {
            this.file = file;
            this.lines = lines;
        }

        @Override
        public boolean hasNext() {
            if (next == null && !finished) {
                next = readNext();
            }
            return next != null;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more " + format.kind() + " in " + file);
            }
            T example = next;
            next = null;
            return example;
        }

        void close() {
            try {
                lines.close();
            } catch (IOException e) {
                throw unreadable(file, e);
            }
        }

        private T readNext() {
            try {
                return readNextLine();
            } catch (RuntimeException e) {
                finished = true; // a broken file yields nothing after its first error
                throw e;
            }
        }

        private T readNextLine() {
            String text;
            try {
                text = lines.next();
                while (text != null && isBlank(text)) {
                    text = lines.next();
                }
            } catch (IOException e) {
                throw unreadable(file, e);
            }
            if (text == null) {
                finished = true;
                if (count == 0) {
                    throw new DataFileException(file, "no " + format.kind()
                            + ": the file is empty or holds only blank lines");
                }
                return null;
            }
            lastLine = lines.lineNumber();
            JsonLine line = JsonLine.parse(JSON, text, file, lastLine, ignoredFields);
            line.requireKnownFields(format.fields(), format.standardShape(), ignoredFields);
            T example = format.read(line);
            count++;
            return example;
        }
    }

    // JSON's white space, less the line feed that ended the line.
    private static boolean isBlank(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r') {
                return false;
            }
        }
        return true;
    }
}
