package org.rlhf4j.protocol;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.rlhf4j.protocol.pb.LogRecord;

/** Appends {@link LogRecord}s to a message log (see {@link MessageLogFormat}); not thread-safe. */
public final class MessageLogWriter implements Closeable {
  private final FileChannel channel;
  private final OutputStream out;
  private final FlushPolicy policy;
  private final byte[] lengthBytes = new byte[MessageLogFormat.MAX_VARINT_BYTES];
  private final byte[] crcBytes = new byte[MessageLogFormat.CRC_BYTES];
  private long position;
  private long records;

  private MessageLogWriter(FileChannel channel, long position, FlushPolicy policy) {
    this.channel = channel;
    this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
    this.policy = policy;
    this.position = position;
  }

  /** Creates a new, empty log at {@code path}; fails if the file exists, so nothing is overwritten. */
  public static MessageLogWriter create(Path path, FlushPolicy policy) throws IOException {
    FileChannel channel =
        FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    MessageLogWriter writer = new MessageLogWriter(channel, 0, policy);
    writer.out.write(MessageLogFormat.MAGIC);
    writer.position = MessageLogFormat.MAGIC.length;
    writer.afterWrite();
    return writer;
  }

  /**
   * Opens an existing log for appending after checking every record; a corrupted log is refused
   * (with the offset) rather than extended, so a torn tail never ends up in the middle of a file.
   */
  public static MessageLogWriter append(Path path, FlushPolicy policy) throws IOException {
    long records = 0;
    try (MessageLogReader reader = MessageLogReader.open(path)) {
      while (reader.next().isPresent()) {
        records++;
      }
    }
    FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE);
    long end = Files.size(path);
    channel.position(end);
    MessageLogWriter writer = new MessageLogWriter(channel, end, policy);
    writer.records = records;
    return writer;
  }

  /**
   * Continues an existing log after its first {@code records} records, which end at byte
   * {@code end} (as a reader found them): whatever follows, such as a record torn by a crash, is
   * cut off first, so the log stays one unbroken sequence of whole records.
   */
  public static MessageLogWriter continueAt(Path path, long end, long records, FlushPolicy policy)
      throws IOException {
    if (end < MessageLogFormat.MAGIC.length || end > Files.size(path) || records < 0) {
      throw new IllegalArgumentException("cannot continue " + path + " at byte " + end + " of "
          + Files.size(path) + " after " + records + " records");
    }
    FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE);
    try {
      channel.truncate(end);
      channel.force(true);
      channel.position(end);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    MessageLogWriter writer = new MessageLogWriter(channel, end, policy);
    writer.records = records;
    return writer;
  }

  /** Appends one record and returns the byte offset at which it starts. */
  public long write(LogRecord record) throws IOException {
    byte[] payload = record.toByteArray();
    int lengthCount = MessageLogFormat.encodeVarint(payload.length, lengthBytes);
    MessageLogFormat.putIntLe(
        crcBytes, MessageLogFormat.checksum(lengthBytes, lengthCount, payload));
    long start = position;
    out.write(lengthBytes, 0, lengthCount);
    out.write(payload);
    out.write(crcBytes);
    position += lengthCount + payload.length + MessageLogFormat.CRC_BYTES;
    records++;
    afterWrite();
    return start;
  }

  /** Hands buffered records to the operating system (and to the disk under {@link FlushPolicy#FSYNC}). */
  public void flush() throws IOException {
    out.flush();
    if (policy == FlushPolicy.FSYNC) {
      channel.force(false);
    }
  }

  /** Writes everything buffered and forces it to the disk, whatever the flush policy. */
  public void sync() throws IOException {
    out.flush();
    channel.force(false);
  }

  /** Records in the file, including those that were there before {@link #append}. */
  public long records() {
    return records;
  }

  /** Bytes in the file once everything buffered is written. */
  public long size() {
    return position;
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      out.close();
    }
  }

  private void afterWrite() throws IOException {
    if (policy != FlushPolicy.BUFFERED) {
      flush();
    }
  }
}
