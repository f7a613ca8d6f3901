package org.rlhf4j.learner;

/** Training data that cannot teach anything as configured; the message names where and why. */
public final class UnusableDataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnusableDataException(String message) {
    super(message);
  }
}
