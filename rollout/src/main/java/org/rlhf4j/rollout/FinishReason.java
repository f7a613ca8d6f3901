package org.rlhf4j.rollout;

/** Why a response ended. */
public enum FinishReason {
  /** It produced one of the stop tokens (kept as its last token). */
  STOP_TOKEN,
  /** It reached the maximum number of new tokens. */
  LENGTH
}
