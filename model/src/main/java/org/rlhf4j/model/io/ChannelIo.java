package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Positional reads and writes that loop until the buffer is done, as single calls may stop short. */
final class ChannelIo {
  private ChannelIo() {}

  /** Fills {@code buffer} from {@code position}; a file that ends first is a format error. */
  static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path file, String what)
      throws IOException {
    long next = position;
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, next);
      if (read < 0) {
        throw new CheckpointFormatException(file, "file ended at byte " + next + " while reading " + what
            + " (was it changed during the read?)");
      }
      next += read;
    }
  }

  /** Writes all of {@code buffer} at the channel's current position. */
  static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
