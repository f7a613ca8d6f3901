package org.rlhf4j.model;

/** Heads beside the tied LM head, each a (1, C) projection of the final LayerNorm's output. */
public enum Head {
  /** Per-token value estimate for PPO's critic; TRL's {@code v_head.summary} names. */
  VALUE("v_head.summary.weight", "v_head.summary.bias"),
  /** Scalar reward read at the last real token; Hugging Face's {@code score} name (no bias). */
  REWARD("score.weight", null);

  private final String weightName;
  private final String biasName;

  Head(String weightName, String biasName) {
    this.weightName = weightName;
    this.biasName = biasName;
  }

  public String weightName() {
    return weightName;
  }

  /** The bias's name, or null when the head has none. */
  public String biasName() {
    return biasName;
  }
}
