package org.rlhf4j.protocol;

import java.io.IOException;
import java.nio.file.Path;

/** A message log that cannot be read past {@link #offset()}: torn tail, flipped bit or foreign file. */
public final class LogCorruptedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;
  private final long offset;
  private final String reason;

  public LogCorruptedException(Path path, long offset, String reason) {
    super(path + ": corrupted message log at offset " + offset + ": " + reason);
    this.path = path;
    this.offset = offset;
    this.reason = reason;
  }

  /** The file that was read. */
  public Path path() {
    return path;
  }

  /** Byte offset of the first record (or header) that failed to read. */
  public long offset() {
    return offset;
  }

  /** What was wrong, without the path and offset. */
  public String reason() {
    return reason;
  }
}
