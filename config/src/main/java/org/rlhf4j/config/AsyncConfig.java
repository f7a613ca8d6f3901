package org.rlhf4j.config;

/**
 * The asynchronous PPO pipeline: rollout workers, staleness bound, credits in flight, weight
 * broadcast period, work-item size, the crash-injection switch, and the bounds that end a run
 * which cannot go on.
 *
 * @param localScorer whether the learner's process scores rollouts itself; off leaves the scoring
 *     to scorer nodes ({@code rlhf4j node --role scorer})
 * @param maxInFlight rollouts issued but not yet consumed by the learner; 0 means twice the PPO
 *     batch size (see {@link #credits})
 * @param workAttempts failures of one work item after which the run ends instead of re-issuing it
 * @param stallTimeoutSeconds the run ends when no policy update happens for this long
 * @param rolloutNiceness the Linux niceness (0 to 19) the threads of the learner process's rollout
 *     workers and reward scorer compute at
 */
public record AsyncConfig(int workers, boolean localScorer, int maxLag, int maxInFlight, int weightSyncEvery,
    int promptsPerWork, int crashEvery, int workAttempts, int stallTimeoutSeconds,
    int rolloutNiceness) {

  /** The credit budget for PPO batches of {@code batchSize} rollouts. */
  public int credits(int batchSize) {
    return maxInFlight == 0 ? 2 * batchSize : maxInFlight;
  }
}
