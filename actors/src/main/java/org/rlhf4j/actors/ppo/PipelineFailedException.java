package org.rlhf4j.actors.ppo;

/** A PPO run through the actors that cannot go on: an actor gave up, work kept failing, or it stalled. */
public class PipelineFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PipelineFailedException(String message) {
    super(message);
  }

  public PipelineFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
