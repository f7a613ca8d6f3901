package org.rlhf4j.actors.weights;

/** A chunk of a policy version failed a check: the version is dropped, never used in part. */
public final class CorruptWeightsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CorruptWeightsException(String message) {
    super(message);
  }
}
