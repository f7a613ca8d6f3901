package org.rlhf4j.learner.collect;

import java.util.Objects;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * How comparisons are collected: the sampling settings, K responses per prompt, prompts per
 * generation call (K of each, so a call samples {@code promptsPerBatch · K} rows; bounds the KV
 * cache's memory), the seed of the generation engine, and whether pairs whose two gold scores are
 * equal are dropped: the simulated annotator saw no difference and marked a tie, which carries no
 * preference to learn (InstructGPT's labelers could mark ties too).
 *
 * <p>The samples are a function of all four and of the prompts: another batch size interleaves the
 * engine's draws differently and so gives other (equally distributed) samples.
 */
public record CollectionPlan(SamplingSettings sampling, int responsesPerPrompt,
    int promptsPerBatch, long seed, boolean dropTies) {

  /**
   * K = 4: InstructGPT ranked 4 to 9 responses per prompt; 4 gives 6 pairs per prompt at the
   * lowest sampling cost of that range.
   */
  public static final int DEFAULT_RESPONSES_PER_PROMPT = 4;

  /** 8 prompts × K = 4 make 32 rows per generation call: most of batching's gain, little memory. */
  public static final int DEFAULT_PROMPTS_PER_BATCH = 8;

  public CollectionPlan {
    Objects.requireNonNull(sampling, "sampling");
    if (responsesPerPrompt < 2) {
      throw new IllegalArgumentException(
          "responses per prompt must be >= 2 to form a pair, got " + responsesPerPrompt);
    }
    if (promptsPerBatch < 1) {
      throw new IllegalArgumentException("prompts per batch must be >= 1, got " + promptsPerBatch);
    }
  }

  /** The default K and batch size with {@code sampling} and {@code seed}, keeping ties. */
  public static CollectionPlan of(SamplingSettings sampling, long seed) {
    return new CollectionPlan(sampling, DEFAULT_RESPONSES_PER_PROMPT, DEFAULT_PROMPTS_PER_BATCH,
        seed, false);
  }

  /** The same plan with K = {@code responsesPerPrompt}. */
  public CollectionPlan withResponsesPerPrompt(int responsesPerPrompt) {
    return new CollectionPlan(sampling, responsesPerPrompt, promptsPerBatch, seed, dropTies);
  }

  /** The same plan with {@code promptsPerBatch} prompts per generation call. */
  public CollectionPlan withPromptsPerBatch(int promptsPerBatch) {
    return new CollectionPlan(sampling, responsesPerPrompt, promptsPerBatch, seed, dropTies);
  }

  /** The same plan with another seed. */
  public CollectionPlan withSeed(long seed) {
    return new CollectionPlan(sampling, responsesPerPrompt, promptsPerBatch, seed, dropTies);
  }

  /** The same plan, dropping tied pairs or keeping them (ordered by the ranker alone). */
  public CollectionPlan withDropTies(boolean dropTies) {
    return new CollectionPlan(sampling, responsesPerPrompt, promptsPerBatch, seed, dropTies);
  }

  /** The number of pairs a ranking of K responses expands to: K·(K−1)/2. */
  public int pairsPerPrompt() {
    return responsesPerPrompt * (responsesPerPrompt - 1) / 2;
  }
}
