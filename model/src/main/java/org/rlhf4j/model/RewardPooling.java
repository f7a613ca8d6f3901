package org.rlhf4j.model;

import java.util.Locale;
import java.util.Map;

/** How the reward head turns its per-token scores into one reward per sequence. */
public enum RewardPooling {
  /** The score at the last real token (Hugging Face's sequence classifier; TRL's reward model). */
  LAST,
  /**
   * The sum of the scores at every real token: an additive reward, as a lexicon's is. A pair's
   * shared prompt adds the same amount to both sides (causal attention), so comparisons see only
   * the responses.
   */
  SUM;

  /** Where a reward model's checkpoint records its pooling ({@code Checkpoint.Contents.state}). */
  public static final String STATE_KEY = "reward_pooling";

  /** The configuration's spelling: {@code last} or {@code sum}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code last} or {@code sum}. */
  public static RewardPooling parse(String name) {
    for (RewardPooling p : values()) {
      if (p.configName().equals(name)) {
        return p;
      }
    }
    throw new IllegalArgumentException("reward pooling: expected last or sum, got " + name);
  }

  /** The pooling a checkpoint's state records; {@link #LAST} for checkpoints that predate it. */
  public static RewardPooling of(Map<String, String> checkpointState) {
    return parse(checkpointState.getOrDefault(STATE_KEY, LAST.configName()));
  }
}
