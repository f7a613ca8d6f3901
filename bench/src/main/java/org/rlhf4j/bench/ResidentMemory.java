package org.rlhf4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory as the kernel counts it (Linux's {@code /proc/self/status}):
 * Java heap, native tensors, malloc arenas and code together, which is what a user's machine
 * runs out of.
 */
public final class ResidentMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ResidentMemory() {}

  /** Whether this system reports resident memory here. */
  public static boolean available() {
    return Files.isReadable(STATUS);
  }

  /**
   * Resident bytes now (VmRSS).
   *
   * @throws UncheckedIOException where {@code /proc/self/status} cannot be read (see
   *     {@link #available})
   */
  public static long bytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          // "VmRSS:    123456 kB"
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
      throw new IllegalStateException(STATUS + " has no VmRSS line");
    } catch (IOException e) {
      throw new UncheckedIOException("resident memory is read from " + STATUS, e);
    }
  }

  /** Told after each step of a {@link #trace}. */
  public interface Progress {
    void afterStep(int done, int total, long residentBytes);
  }

  /** Runs {@code step} {@code steps} times, reading resident memory after each. */
  public static Trace trace(Runnable step, int steps, Progress progress) {
    long[] after = new long[steps];
    for (int i = 0; i < steps; i++) {
      step.run();
      after[i] = bytes();
      progress.afterStep(i + 1, steps, after[i]);
    }
    return new Trace(after);
  }

  /** How resident memory moved over a run of steps, in bytes after each step. */
  public record Trace(long[] afterStep) {
    /** After the first tenth of the steps: warm-up and first growth are behind. */
    public long afterFirstTenth() {
      return afterStep[Math.max(0, afterStep.length / 10 - 1)];
    }

    /** After the last step. */
    public long last() {
      return afterStep[afterStep.length - 1];
    }

    /** The largest seen after any step. */
    public long peak() {
      long max = 0;
      for (long b : afterStep) {
        max = Math.max(max, b);
      }
      return max;
    }

    /** What the last nine tenths added: near zero when memory is flat. */
    public long growthAfterFirstTenth() {
      return last() - afterFirstTenth();
    }
  }
}
