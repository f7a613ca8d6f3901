package org.rlhf4j.actors.ppo;

import java.util.List;

/**
 * One work item: prompts a rollout worker samples in one batch, each {@code copies} times (the
 * group size of GRPO/RLOO, else 1). Ids derive from the item's id, so a re-issued item produces
 * the same rollout ids and the learner can tell a repeat from a new rollout.
 *
 * @param id the item's number in the run, from 0
 * @param promptsPerWork the configured item size (the id space of each item), ≥ prompts.size()
 * @param prompts prompt token ids
 * @param seed the worker reseeds its sampler with it, so the item samples the same way wherever
 *     it runs
 */
public record Work(long id, int promptsPerWork, List<int[]> prompts, int copies, long seed) {

  /** Checks the sizes. */
  public Work {
    if (prompts.isEmpty() || prompts.size() > promptsPerWork || copies < 1) {
      throw new IllegalArgumentException("a work item needs 1.." + promptsPerWork
          + " prompts and copies >= 1, got " + prompts.size() + " and " + copies);
    }
    prompts = List.copyOf(prompts);
  }

  /** Rollouts the item produces. */
  public int rollouts() {
    return prompts.size() * copies;
  }

  /** The id of the item's {@code j}-th prompt: GRPO/RLOO group the copies by it. */
  public long promptId(int j) {
    return id * promptsPerWork + j;
  }

  /** The id of copy {@code c} of prompt {@code j}: unique in the run. */
  public long rolloutId(int j, int c) {
    return promptId(j) * copies + c;
  }

  /** The prompts as sampled: each repeated {@code copies} times, copies adjacent. */
  public List<int[]> expanded() {
    List<int[]> out = new java.util.ArrayList<>(rollouts());
    for (int[] p : prompts) {
      for (int c = 0; c < copies; c++) {
        out.add(p);
      }
    }
    return out;
  }
}
