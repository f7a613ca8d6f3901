package org.rlhf4j.config;

/** Shape of a GPT-2-style decoder-only transformer. */
public record ModelConfig(
    int vocabSize, int contextLength, int dModel, int layers, int heads, double layerNormEpsilon) {

  public ModelConfig {
    if (dModel % heads != 0) {
      throw new IllegalArgumentException(
          "d-model (" + dModel + ") must be divisible by heads (" + heads + ")");
    }
  }

  /** Width of one attention head. */
  public int headSize() {
    return dModel / heads;
  }
}
