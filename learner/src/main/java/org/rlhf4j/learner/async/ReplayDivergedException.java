package org.rlhf4j.learner.async;

/**
 * A replayed learner disagreed with what the log recorded at {@link #version()}: a different
 * initial state, configuration or seed, or nondeterminism in training.
 */
public final class ReplayDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long offset;
  private final long version;

  public ReplayDivergedException(long offset, long version, String what) {
    super("replay diverged at version " + version + " (log record at offset " + offset + "): "
        + what);
    this.offset = offset;
    this.version = version;
  }

  /** Byte offset of the log record that disagreed. */
  public long offset() {
    return offset;
  }

  /** The policy version the record is about. */
  public long version() {
    return version;
  }
}
