package org.rlhf4j.learner.eval;

import org.rlhf4j.rollout.SamplingSettings;

/**
 * How an evaluation samples: the sampling settings, responses per prompt, rows per generation
 * batch (bounds the KV cache's memory) and the seed of the generation engine.
 */
public record SamplingPlan(SamplingSettings settings, int perPrompt, int batchSize, long seed) {

  public SamplingPlan {
    if (perPrompt < 1) {
      throw new IllegalArgumentException("responses per prompt must be >= 1, got " + perPrompt);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
  }

  /** The same plan with {@code perPrompt} responses per prompt. */
  public SamplingPlan withPerPrompt(int perPrompt) {
    return new SamplingPlan(settings, perPrompt, batchSize, seed);
  }

  /** Whether the settings cut the distribution's tail (top-k or top-p), or take its mode (greedy). */
  public boolean truncates() {
    return settings.greedy() || settings.topK() > 0 || settings.topP() < 1;
  }

  /**
   * The same plan drawing from the whole tempered distribution {@code softmax(logits / T)}: no
   * top-k, no top-p, no greedy decoding (what a KL estimate needs).
   */
  public SamplingPlan untruncated() {
    return new SamplingPlan(new SamplingSettings(settings.temperature(), 0, 1.0, false,
        settings.maxNewTokens(), settings.stopTokens()), perPrompt, batchSize, seed);
  }

  /** The same plan with another seed. */
  public SamplingPlan withSeed(long seed) {
    return new SamplingPlan(settings, perPrompt, batchSize, seed);
  }
}
