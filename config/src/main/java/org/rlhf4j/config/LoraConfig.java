package org.rlhf4j.config;

import java.util.List;

/**
 * Low-rank adapters as Hugging Face PEFT's {@code LoraConfig}: {@code rank} r, scaling
 * {@code alpha / r}, input dropout, and target modules by PEFT's names (a target matches a block's
 * linear layer whose path equals it or ends with "." + it).
 */
public record LoraConfig(boolean enabled, int rank, double alpha, double dropout,
    List<String> targetModules) {
  /** Target names a GPT-2 block answers to. */
  public static final List<String> MODULES =
      List.of("c_attn", "c_proj", "c_fc", "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj");

  public LoraConfig {
    if (rank < 1) {
      throw new IllegalArgumentException("rank must be at least 1, got " + rank);
    }
    if (!(alpha > 0) || !(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("alpha must be > 0 and dropout in [0, 1), got " + alpha
          + " and " + dropout);
    }
    targetModules = List.copyOf(targetModules);
  }

  /** PEFT's defaults (r 8, alpha 8, no dropout, GPT-2's c_attn), switched on. */
  public static LoraConfig defaults() {
    return new LoraConfig(true, 8, 8, 0.0, List.of("c_attn"));
  }

  /** What the adapters' output is multiplied by: {@code alpha / rank}. */
  public double scale() {
    return alpha / rank;
  }

  /** Whether the block-relative layer path (e.g. {@code attn.c_proj}) is a target. */
  public boolean targets(String path) {
    return targetModules.stream().anyMatch(t -> path.equals(t) || path.endsWith("." + t));
  }
}
