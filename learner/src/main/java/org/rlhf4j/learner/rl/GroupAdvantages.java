package org.rlhf4j.learner.rl;

/** Critic-free advantages from scores in groups of K consecutive rows per prompt: GRPO and RLOO. */
public final class GroupAdvantages {

  /** Which standard deviation GRPO divides by (the GRPO paper's formula does not say). */
  public enum Spread {
    /** √(Σ(x − mean)²/K), the population deviation of the group. */
    POPULATION,
    /**
     * √(Σ(x − mean)²/(K − 1)), Bessel-corrected: what TRL's {@code GRPOTrainer}, OpenRLHF and veRL
     * compute, since {@code torch.std} defaults to it.
     */
    SAMPLE
  }

  /** What GRPO divides a score's distance from its group mean by: TRL's {@code scale_rewards}. */
  public enum Scale {
    /** The group's standard deviation + eps, as the GRPO paper (TRL's default). */
    GROUP,
    /**
     * The standard deviation of all the batch's scores + eps (PPO Lite, Liu et al. 2025): a group
     * whose scores barely differ keeps small advantages instead of being blown up to unit scale.
     */
    BATCH,
    /**
     * Nothing (Dr. GRPO, Liu et al. 2025): dividing by the group's deviation weights prompts that
     * are too easy or too hard for the policy above the rest.
     */
    NONE
  }

  private GroupAdvantages() {}

  /**
   * GRPO (Shao et al. 2024, "DeepSeekMath"): {@code A_i = (s_i − mean_g) / (std + eps)} over each
   * group g of {@code groupSize} consecutive rows, the deviation as {@code scale} says (none:
   * {@code A_i = s_i − mean_g}). {@code rowAdvantages} may be {@code scores}.
   *
   * @param rowAdvantages out (B)
   * @param scores one score per response (B), B a multiple of {@code groupSize}
   * @param spread how each deviation is computed, for the group or the batch
   * @param eps keeps a group (or batch) whose scores are all equal at advantage 0 instead of 0/0;
   *     TRL uses 1e-4
   */
  public static void grpo(double[] rowAdvantages, double[] scores, int groupSize, Scale scale,
      Spread spread, double eps) {
    requireGroups(rowAdvantages, scores, groupSize);
    if (scale == null || spread == null) {
      throw new IllegalArgumentException("GRPO scale and spread must not be null");
    }
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("GRPO eps must be positive and finite, got " + eps);
    }
    // taken before any row is written, since rowAdvantages may be scores
    double batchDenominator = scale == Scale.BATCH
        ? deviation(scores, 0, scores.length, spread) + eps : 1.0;
    for (int g = 0; g < scores.length; g += groupSize) {
      double mean = mean(scores, g, g + groupSize);
      double denominator = switch (scale) {
        case GROUP -> deviation(scores, g, g + groupSize, spread) + eps;
        case BATCH -> batchDenominator;
        case NONE -> 1.0;
      };
      for (int i = g; i < g + groupSize; i++) {
        rowAdvantages[i] = (scores[i] - mean) / denominator;
      }
    }
  }

  /**
   * RLOO (Ahmadian et al. 2024, "Back to Basics"): {@code A_i = s_i − (Σ_{j≠i} s_j)/(K − 1)},
   * the score against the mean of the other responses to the same prompt: a baseline that does
   * not depend on response i, so it adds no bias.
   * {@code rowAdvantages} may be {@code scores}.
   *
   * @param rowAdvantages out (B)
   * @param scores one score per response (B), B a multiple of {@code groupSize}
   */
  public static void rloo(double[] rowAdvantages, double[] scores, int groupSize) {
    requireGroups(rowAdvantages, scores, groupSize);
    for (int g = 0; g < scores.length; g += groupSize) {
      double sum = 0;
      for (int i = g; i < g + groupSize; i++) {
        sum += scores[i];
      }
      for (int i = g; i < g + groupSize; i++) {
        double s = scores[i];
        rowAdvantages[i] = s - (sum - s) / (groupSize - 1);
      }
    }
  }

  /**
   * Copies each row's advantage to all of its real tokens; padding gets 0.
   *
   * @param tokenAdvantages out (B·T)
   * @param rowAdvantages (B)
   * @param mask 1 for a real response token, 0 for padding (B·T)
   */
  public static void broadcast(double[] tokenAdvantages, BatchShape shape, double[] rowAdvantages,
      double[] mask) {
    shape.requireTokens("tokenAdvantages", tokenAdvantages);
    shape.requireRows("rowAdvantages", rowAdvantages);
    shape.requireMask(mask);
    int t = shape.t();
    for (int i = 0; i < tokenAdvantages.length; i++) {
      tokenAdvantages[i] = mask[i] != 0.0 ? rowAdvantages[i / t] : 0.0;
    }
  }

  private static double mean(double[] x, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += x[i];
    }
    return sum / (to - from);
  }

  /** The standard deviation of {@code x[from, to)}, at least two values. */
  private static double deviation(double[] x, int from, int to, Spread spread) {
    double mean = mean(x, from, to);
    double sumSq = 0;
    for (int i = from; i < to; i++) {
      double d = x[i] - mean;
      sumSq += d * d;
    }
    int n = to - from;
    return Math.sqrt(sumSq / (spread == Spread.SAMPLE ? n - 1 : n));
  }

  private static void requireGroups(double[] rowAdvantages, double[] scores, int groupSize) {
    if (scores == null || rowAdvantages == null) {
      throw new IllegalArgumentException("scores and rowAdvantages must not be null");
    }
    if (groupSize < 2) {
      // one response per prompt leaves nothing to compare against
      throw new IllegalArgumentException("group size must be at least 2, got " + groupSize);
    }
    if (scores.length == 0 || scores.length % groupSize != 0) {
      throw new IllegalArgumentException("scores has " + scores.length
          + " rows, not a positive multiple of the group size " + groupSize);
    }
    if (rowAdvantages.length != scores.length) {
      throw new IllegalArgumentException("rowAdvantages has " + rowAdvantages.length
          + " rows but scores has " + scores.length);
    }
  }
}
