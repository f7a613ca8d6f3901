package org.rlhf4j.rollout;

import java.util.Arrays;

/**
 * How to sample: temperature, top-k (0 = off), top-p (1 = off) or greedy; at most
 * {@code maxNewTokens} tokens; a response ends at the first of its {@code stopTokens}, which it
 * keeps (TRL keeps the EOS in the response).
 */
public record SamplingSettings(double temperature, int topK, double topP, boolean greedy,
    int maxNewTokens, int[] stopTokens) {

  public SamplingSettings {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must lie in (0, 1], got " + topP);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
    }
    stopTokens = stopTokens.clone();
  }

  /** Plain multinomial sampling at temperature 1. */
  public static SamplingSettings multinomial(int maxNewTokens, int... stopTokens) {
    return new SamplingSettings(1.0, 0, 1.0, false, maxNewTokens, stopTokens);
  }

  @Override
  public int[] stopTokens() {
    return stopTokens.clone();
  }

  boolean isStop(int token) {
    for (int s : stopTokens) {
      if (s == token) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SamplingSettings s && s.temperature == temperature && s.topK == topK
        && s.topP == topP && s.greedy == greedy && s.maxNewTokens == maxNewTokens
        && Arrays.equals(s.stopTokens, stopTokens);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(temperature) * 31 + maxNewTokens * 7 + Arrays.hashCode(stopTokens);
  }

  @Override
  public String toString() {
    return "SamplingSettings[temperature=" + temperature + ", topK=" + topK + ", topP=" + topP
        + ", greedy=" + greedy + ", maxNewTokens=" + maxNewTokens + ", stopTokens="
        + Arrays.toString(stopTokens) + "]";
  }
}
