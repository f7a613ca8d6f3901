package org.rlhf4j.learner;

/** Training produced non-finite losses or gradients too many times in a row. */
public final class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
