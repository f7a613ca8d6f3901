package org.rlhf4j.actors.ppo;

/** A run ended because no policy update happened within the stall timeout. */
public final class PipelineStalledException extends PipelineFailedException {
  private static final long serialVersionUID = 1L;

  public PipelineStalledException(String message) {
    super(message);
  }
}
