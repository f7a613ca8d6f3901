package org.rlhf4j.protocol;

import java.util.Locale;

/** When a {@link MessageLogWriter} hands its buffered records to the operating system or the disk. */
public enum FlushPolicy {
  /** Buffer in memory; write on {@link MessageLogWriter#flush()} and on close. Fastest; a crash loses the buffer. */
  BUFFERED,
  /** Write every record to the operating system at once: survives a crash of the JVM. */
  FLUSH,
  /** Write and fsync every record: survives a crash of the machine. Slowest. */
  FSYNC;

  /** Parses the lower-case name used in configuration files ({@code buffered}, {@code flush}, {@code fsync}). */
  public static FlushPolicy parse(String name) {
    for (FlushPolicy p : values()) {
      if (p.configName().equals(name)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown flush policy '" + name + "', expected one of buffered, flush, fsync");
  }

  /** The name used in configuration files. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
