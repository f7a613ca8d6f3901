package org.rlhf4j.learner;

/** The output directory cannot be used as asked (it holds another run, or nothing to resume). */
public final class RunDirectoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RunDirectoryException(String message) {
    super(message);
  }
}
