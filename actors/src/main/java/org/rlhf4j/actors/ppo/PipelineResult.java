package org.rlhf4j.actors.ppo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.rlhf4j.learner.async.Ledger;

/**
 * How an actor PPO run ended. The run's ledger always balances:
 * <pre>
 *   produced = trained + droppedStale + duplicates + rejected + pending + unusedAtEnd
 *              + lostToFailure
 * </pre>
 *
 * @param version the learner's final policy version
 * @param weightsSha256 SHA-256 of the final policy weights
 * @param learner the learner's own counts
 * @param produced rollouts workers sent to the scorer
 * @param lostToFailure rollouts lost with a failed scorer batch (their work was re-issued)
 * @param unusedAtEnd rollouts that reached the learner after its last round
 * @param reissued work items re-issued after a failure
 * @param lags rollouts by policy lag on arrival
 * @param tokensPerSecond each worker's sampling rate while busy
 */
public record PipelineResult(long version, String weightsSha256, Ledger learner, long produced,
    long lostToFailure, long unusedAtEnd, long reissued, Map<Long, Long> lags,
    Map<String, Double> tokensPerSecond) {

  /** Checks the balance. */
  public PipelineResult {
    long accounted = learner.received() + unusedAtEnd + lostToFailure;
    if (produced != accounted) {
      throw new IllegalStateException("the run's ledger does not balance: produced " + produced
          + " != received " + learner.received() + " + unused at end " + unusedAtEnd
          + " + lost to failure " + lostToFailure);
    }
  }

  /** The counts under their summary.json names. */
  public Map<String, Object> ledgerJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("produced", produced);
    m.put("trained", learner.trained());
    m.put("dropped_stale", learner.droppedStale());
    m.put("duplicates", learner.duplicates());
    m.put("rejected", learner.rejected());
    m.put("pending", learner.pending());
    m.put("unused_at_end", unusedAtEnd);
    m.put("lost_to_failure", lostToFailure);
    m.put("reissued_work", reissued);
    return m;
  }
}
