package org.rlhf4j.actors.ppo;

import java.util.Map;
import java.util.TreeMap;

/** Counts of rollouts by policy lag (learner version − sampling version) when they arrived. */
public final class LagHistogram {
  private final TreeMap<Long, Long> counts = new TreeMap<>();

  /** Counts one rollout of lag {@code lag}. */
  public void add(long lag) {
    counts.merge(lag, 1L, Long::sum);
  }

  /** A copy of the counts, by increasing lag. */
  public Map<Long, Long> counts() {
    return new TreeMap<>(counts);
  }

  /** Rollouts counted. */
  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }
}
