package org.rlhf4j.cli;

/** A command's input is unusable; the message says which file, line or option and what was expected. */
public final class UserInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserInputException(String message) {
    super(message);
  }
}
