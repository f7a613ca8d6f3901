package org.rlhf4j.tasks.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The lines of a UTF-8 file, one at a time, each checked for length and for valid UTF-8.
 *
 * <p>A line ends at {@code '\n'}; a {@code '\r'} before it is dropped, so CRLF files read the same.
 * The last line needs no terminator. A UTF-8 byte order mark at the start of the file is skipped.
 * The bytes of a line are kept only up to the limit: the rest of an oversized line is counted and
 * dropped, so a multi-gigabyte line costs {@code maxLineBytes} of memory, not gigabytes, and the
 * message can still say how long it was. Splitting at byte {@code '\n'} before decoding is safe
 * because that byte never occurs inside a multi-byte UTF-8 sequence.
 */
final class JsonlLineReader implements Closeable {

    private static final int CHUNK_BYTES = 64 * 1024;

    private final InputStream in;
    private final Path file;
    private final int maxLineBytes;
    private final byte[] chunk = new byte[CHUNK_BYTES];
    private int chunkPosition;
    private int chunkLimit;
    private boolean endOfFile;

    // Holds at most maxLineBytes + 1 bytes: the +1 is room for the '\r' of a CRLF line at the limit.
    private byte[] line = new byte[256];
    private CharBuffer chars = CharBuffer.allocate(256);
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long lineNumber;

    JsonlLineReader(InputStream in, Path file, int maxLineBytes) {
        this.in = in;
        this.file = file;
        this.maxLineBytes = maxLineBytes;
    }

    /** The 1-based number of the line last returned by {@link #next()}; 0 before the first. */
    long lineNumber() {
        return lineNumber;
    }

    /**
     * The next line without its terminator, or {@code null} at the end of the file.
     *
     * @throws DataFileException if the line is longer than the limit or is not valid UTF-8
     * @throws IOException if the file cannot be read
     */
    String next() throws IOException {
        int stored = 0;
        long length = 0;
        byte last = 0;
        boolean terminated = false;
        while (!terminated) {
            if (chunkPosition == chunkLimit && !fillChunk()) {
                if (length == 0) {
                    return null;
                }
                break;
            }
            int start = chunkPosition;
            while (chunkPosition < chunkLimit && chunk[chunkPosition] != '\n') {
                chunkPosition++;
            }
            int count = chunkPosition - start;
            if (count > 0) {
                stored = store(start, count, stored);
                length += count;
                last = chunk[chunkPosition - 1];
            }
            if (chunkPosition < chunkLimit) {
                chunkPosition++; // the '\n'
                terminated = true;
            }
        }
        lineNumber++;
        if (last == '\r') {
            length--;
            stored = (int) Math.min(stored, length);
        }
        if (length > maxLineBytes) {
            throw new DataFileException(file, lineNumber, String.format(Locale.ROOT,
                    "line is %,d bytes, longer than the %,d-byte limit", length, maxLineBytes));
        }
        String text = decode(stored);
        if (lineNumber == 1 && text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        return text;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private boolean fillChunk() throws IOException {
        if (endOfFile) {
            return false;
        }
        int n = in.read(chunk); // blocks until at least one byte, or -1 at the end
        if (n < 0) {
            endOfFile = true;
            return false;
        }
        chunkPosition = 0;
        chunkLimit = n;
        return true;
    }

    /** Appends what fits under the limit of {@code chunk[start, start + count)}; returns the bytes now stored. */
    private int store(int start, int count, int stored) {
        int room = maxLineBytes + 1 - stored;
        int taken = Math.min(count, room);
        if (taken <= 0) {
            return stored;
        }
        if (stored + taken > line.length) {
            long grown = Math.max((long) line.length * 2, stored + taken);
            line = Arrays.copyOf(line, (int) Math.min(grown, maxLineBytes + 1L));
        }
        System.arraycopy(chunk, start, line, stored, taken);
        return stored + taken;
    }

    private String decode(int length) {
        if (chars.capacity() < length) {
            chars = CharBuffer.allocate(Math.max(length, chars.capacity() * 2));
        }
        chars.clear();
        ByteBuffer bytes = ByteBuffer.wrap(line, 0, length);
        decoder.reset();
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            throw new DataFileException(file, lineNumber,
                    "invalid UTF-8 at byte " + (bytes.position() + 1) + " of the line");
        }
        chars.flip();
        return chars.toString();
    }
}
