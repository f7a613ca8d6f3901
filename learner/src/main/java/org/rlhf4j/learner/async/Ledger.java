package org.rlhf4j.learner.async;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What became of every scored rollout the learner received, so nothing disappears silently.
 * Always
 * <pre>
 *   received = trained + droppedStale + duplicates + rejected + pending
 * </pre>
 * and, for the run as a whole, with {@code lostToFailure} the rollouts that were produced but never
 * reached the learner (counted by whoever watches the workers and scorers):
 * <pre>
 *   produced = trained + droppedStale + rejected + pending + lostToFailure
 * </pre>
 * where {@code produced} counts distinct rollout ids. {@code pending} is 0 right after an update
 * round with GAE; with GRPO/RLOO it also holds incomplete groups, which are dropped as stale once
 * they fall behind.
 *
 * @param received messages offered, duplicates included
 * @param trained rollouts used in an update round
 * @param droppedStale rollouts whose policy version fell more than max-lag behind the learner's
 * @param duplicates messages whose rollout id had been received before; never trained again
 * @param rejected malformed messages (see {@link PpoLearner#defect}); their ids are not remembered
 * @param pending admitted rollouts waiting for their batch (or group) to fill
 */
public record Ledger(long received, long trained, long droppedStale, long duplicates,
    long rejected, long pending) {
  /** {@link #received}, as {@code ledger/received}. */
  public static final String RECEIVED = "ledger/received";
  /** {@link #trained}. */
  public static final String TRAINED = "ledger/trained";
  /** {@link #droppedStale}. */
  public static final String DROPPED_STALE = "ledger/dropped_stale";
  /** {@link #duplicates}. */
  public static final String DUPLICATES = "ledger/duplicates";
  /** {@link #rejected}. */
  public static final String REJECTED = "ledger/rejected";
  /** {@link #pending}. */
  public static final String PENDING = "ledger/pending";

  /** Checks that no count is negative and that the counts add up to {@link #received}. */
  public Ledger {
    if (received < 0 || trained < 0 || droppedStale < 0 || duplicates < 0 || rejected < 0
        || pending < 0) {
      throw new IllegalArgumentException("ledger counts must not be negative: received "
          + received + ", trained " + trained + ", dropped stale " + droppedStale
          + ", duplicates " + duplicates + ", rejected " + rejected + ", pending " + pending);
    }
    if (received != trained + droppedStale + duplicates + rejected + pending) {
      throw new IllegalArgumentException("ledger does not add up: received " + received
          + " != trained " + trained + " + dropped stale " + droppedStale + " + duplicates "
          + duplicates + " + rejected " + rejected + " + pending " + pending);
    }
  }

  /** Distinct rollouts produced, given those lost to failure before reaching the learner. */
  public long produced(long lostToFailure) {
    return trained + droppedStale + rejected + pending + lostToFailure;
  }

  /** The counts under their {@code ledger/...} names, for a {@code Metrics} message. */
  public Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(RECEIVED, (double) received);
    m.put(TRAINED, (double) trained);
    m.put(DROPPED_STALE, (double) droppedStale);
    m.put(DUPLICATES, (double) duplicates);
    m.put(REJECTED, (double) rejected);
    m.put(PENDING, (double) pending);
    return m;
  }
}
