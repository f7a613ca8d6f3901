package org.rlhf4j.tasks.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A data file that cannot be read or written as examples; the CLI maps it to exit code 2.
 *
 * <p>The message is {@code file:line: problem}, or {@code file: problem} when no single line is at
 * fault (a missing or empty file, a failed write), and the problem says what was expected and what
 * was found: {@code prefs.jsonl:17: field "chosen": expected a string, got number 3}. Line numbers
 * are 1-based and count every line, blank ones included, so they match an editor's.
 *
 * <p>Unchecked on purpose: examples are delivered through {@link java.util.Iterator} and
 * {@link java.util.stream.Stream}, which cannot throw checked exceptions, and the project's other
 * bad-input exceptions (for example the tokenizer's) are unchecked too. I/O failures are wrapped in
 * it as well (with the {@link java.io.IOException} as cause), so a caller has one type to catch.
 */
public final class DataFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Value of {@link #line()} when the problem is not on one line. */
    public static final long NO_LINE = 0;

    private final transient Path file;
    private final long line;
    private final String problem;

    /** A problem on the 1-based {@code line} of {@code file}. */
    public DataFileException(Path file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
        if (line < 1) {
            throw new IllegalArgumentException("expected a 1-based line number, got " + line);
        }
        this.file = Objects.requireNonNull(file, "file");
        this.line = line;
        this.problem = problem;
    }

    /** A problem with {@code file} as a whole. */
    public DataFileException(Path file, String problem) {
        this(file, problem, null);
    }

    /** A problem with {@code file} as a whole, caused by {@code cause} (usually an {@link java.io.IOException}). */
    public DataFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = Objects.requireNonNull(file, "file");
        this.line = NO_LINE;
        this.problem = problem;
    }

    /** The file, as the caller named it. */
    public Path file() {
        return file;
    }

    /** The 1-based line at fault, or {@link #NO_LINE}. */
    public long line() {
        return line;
    }

    /** The message without the file and line. */
    public String problem() {
        return problem;
    }
}
