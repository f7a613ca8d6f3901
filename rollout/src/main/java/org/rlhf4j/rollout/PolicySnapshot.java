package org.rlhf4j.rollout;

import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;

/**
 * A frozen policy: the model, a private copy of its weights and the version they were taken at.
 * Engines only read it, so any number of them may share one snapshot; its weights must not change
 * while engines sample from it (an engine keeps copies packed from them from one batch of the
 * same snapshot to the next). A LoRA policy is sampled merged ({@code model} without adapters);
 * {@code trainable} then holds a copy of its heads and adapters, all a node that already has the
 * base needs to rebuild it, else null.
 */
public record PolicySnapshot(Gpt model, ParameterStore params, long version,
    ParameterStore trainable) {

  /** A snapshot of a model without adapters; {@code params} is not copied and must stay frozen. */
  public PolicySnapshot(Gpt model, ParameterStore params, long version) {
    this(model, params, version, null);
  }

  /** Copies {@code params}, so later training cannot change what the snapshot samples from. */
  public static PolicySnapshot freeze(Gpt model, ParameterStore params, long version) {
    return new PolicySnapshot(model, params.copy(), version);
  }
}
