package org.rlhf4j.model;

/** What a forward pass computes beyond the hidden states. */
public enum Output {
  /** Next-token logits through the tied LM head. */
  LOGITS,
  /** Per-token values through {@link Head#VALUE}. */
  VALUES,
  /** One reward per sequence through {@link Head#REWARD}, pooled by {@link RewardPooling}. */
  REWARDS
}
