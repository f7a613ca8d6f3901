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

  /** The same plan with another seed. */
  public SamplingPlan withSeed(long seed) {
    return new SamplingPlan(settings, perPrompt, batchSize, seed);
  }
}
