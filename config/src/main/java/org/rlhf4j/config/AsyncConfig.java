package org.rlhf4j.config;

/**
 * The asynchronous PPO pipeline: rollout workers, staleness bound, credits in flight, weight
 * broadcast period, work-item size and the crash-injection switch.
 *
 * @param maxInFlight rollouts issued but not yet consumed by the learner; 0 means twice the PPO
 *     batch size (see {@link #credits})
 */
public record AsyncConfig(int workers, int maxLag, int maxInFlight, int weightSyncEvery,
    int promptsPerWork, int crashEvery) {

  /** The credit budget for PPO batches of {@code batchSize} rollouts. */
  public int credits(int batchSize) {
    return maxInFlight == 0 ? 2 * batchSize : maxInFlight;
  }
}
