package org.rlhf4j.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.rlhf4j.protocol.pb.LogRecord;

/**
 * Reads a message log record by record. The first torn or corrupted record ends the reading with a
 * {@link LogCorruptedException} naming its offset; nothing after it is ever returned.
 */
public final class MessageLogReader implements Closeable {
  private final Path path;
  private final InputStream in;
  private final long fileSize;
  private final int maxRecordBytes;
  private final byte[] lengthBytes = new byte[MessageLogFormat.MAX_VARINT_BYTES];
  private final byte[] crcBytes = new byte[MessageLogFormat.CRC_BYTES];
  private long position;
  private LogCorruptedException failure;

  private MessageLogReader(Path path, InputStream in, long fileSize, int maxRecordBytes) {
    this.path = path;
    this.in = in;
    this.fileSize = fileSize;
    this.maxRecordBytes = maxRecordBytes;
  }

  /** Opens {@code path} and checks its header. */
  public static MessageLogReader open(Path path) throws IOException {
    return open(path, MessageLogFormat.DEFAULT_MAX_RECORD_BYTES);
  }

  /** Opens {@code path} and checks its header; records larger than {@code maxRecordBytes} are refused. */
  public static MessageLogReader open(Path path, int maxRecordBytes) throws IOException {
    long size = Files.size(path);
    InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
    MessageLogReader reader = new MessageLogReader(path, in, size, maxRecordBytes);
    try {
      reader.checkMagic();
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
    return reader;
  }

  /**
   * Opens {@code path}, checks its header and skips to byte {@code offset}, where a record must
   * start (an offset a reader or writer reported).
   */
  public static MessageLogReader openAt(Path path, int maxRecordBytes, long offset)
      throws IOException {
    MessageLogReader reader = open(path, maxRecordBytes);
    if (offset < reader.position || offset > reader.fileSize) {
      reader.close();
      throw new LogCorruptedException(path, offset, "no record can start at byte " + offset
          + " of a " + reader.fileSize + "-byte log");
    }
    reader.in.skipNBytes(offset - reader.position);
    reader.position = offset;
    return reader;
  }

  /** Byte offset of the next record to be read. */
  public long position() {
    return position;
  }

  /**
   * The next record, or empty at a clean end of file.
   *
   * @throws LogCorruptedException at a torn or corrupted record, and again on every later call
   */
  public Optional<LogRecord> next() throws IOException {
    if (failure != null) {
      throw failure;
    }
    long start = position;
    int first = in.read();
    if (first < 0) {
      return Optional.empty();
    }
    int lengthCount = 0;
    long length = 0;
    int b = first;
    while (true) {
      lengthBytes[lengthCount] = (byte) b;
      length |= (long) (b & 0x7F) << (7 * lengthCount);
      lengthCount++;
      if ((b & 0x80) == 0) {
        break;
      }
      if (lengthCount == MessageLogFormat.MAX_VARINT_BYTES) {
        throw fail(start, "malformed record length (varint longer than 5 bytes)");
      }
      b = in.read();
      if (b < 0) {
        throw fail(start, "torn record: file ends inside the record length");
      }
    }
    if (length > maxRecordBytes) {
      throw fail(start, "record declares " + length + " bytes, more than the limit of "
          + maxRecordBytes + " (corrupted length)");
    }
    long remaining = fileSize - start - lengthCount;
    if (length + MessageLogFormat.CRC_BYTES > remaining) {
      throw fail(start, "torn record: declares " + length + " bytes plus a 4-byte checksum, but only "
          + remaining + " bytes remain");
    }
    byte[] payload = new byte[(int) length];
    readFully(payload, start);
    readFully(crcBytes, start);
    int stored = MessageLogFormat.getIntLe(crcBytes);
    int computed = MessageLogFormat.checksum(lengthBytes, lengthCount, payload);
    if (stored != computed) {
      throw fail(start, String.format("CRC32C mismatch (stored 0x%08x, computed 0x%08x)", stored,
          computed));
    }
    LogRecord record;
    try {
      record = LogRecord.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw fail(start, "checksum matches but the payload is not a LogRecord: " + e.getMessage());
    }
    position = start + lengthCount + length + MessageLogFormat.CRC_BYTES;
    return Optional.of(record);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private void checkMagic() throws IOException {
    byte[] magic = new byte[MessageLogFormat.MAGIC.length];
    int n = in.readNBytes(magic, 0, magic.length);
    if (n < magic.length || !Arrays.equals(magic, MessageLogFormat.MAGIC)) {
      throw fail(0, "not an rlhf4j message log (expected the header \"R4JLOG01\")");
    }
    position = magic.length;
  }

  private void readFully(byte[] into, long recordStart) throws IOException {
    try {
      int n = in.readNBytes(into, 0, into.length);
      if (n < into.length) {
        throw new EOFException();
      }
    } catch (EOFException e) {
      throw fail(recordStart, "torn record: file ends inside the record");
    }
  }

  private LogCorruptedException fail(long offset, String reason) {
    failure = new LogCorruptedException(path, offset, reason);
    return failure;
  }
}
