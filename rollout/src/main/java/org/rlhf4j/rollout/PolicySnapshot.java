package org.rlhf4j.rollout;

import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;

/**
 * A frozen policy: the model, a private copy of its weights and the version they were taken at.
 * Engines only read it, so any number of them may share one snapshot.
 */
public record PolicySnapshot(Gpt model, ParameterStore params, long version) {

  /** Copies {@code params}, so later training cannot change what the snapshot samples from. */
  public static PolicySnapshot freeze(Gpt model, ParameterStore params, long version) {
    return new PolicySnapshot(model, params.copy(), version);
  }
}
