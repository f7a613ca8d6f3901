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

  private GroupAdvantages() {}

  /**
   * GRPO (Shao et al. 2024, "DeepSeekMath"): {@code A_i = (s_i − mean_g) / (std_g + eps)} over
   * each group g of {@code groupSize} consecutive rows. {@code rowAdvantages} may be
   * {@code scores}.
   *
   * @param rowAdvantages out (B)
   * @param scores one score per response (B), B a multiple of {@code groupSize}
   * @param eps keeps a group whose scores are all equal at advantage 0 instead of 0/0; TRL uses
   *     1e-4
   */
  public static void grpo(double[] rowAdvantages, double[] scores, int groupSize, Spread spread,
      double eps) {
    requireGroups(rowAdvantages, scores, groupSize);
    if (spread == null) {
      throw new IllegalArgumentException("GRPO spread must not be null");
    }
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("GRPO eps must be positive and finite, got " + eps);
    }
    int divisor = spread == Spread.SAMPLE ? groupSize - 1 : groupSize;
    for (int g = 0; g < scores.length; g += groupSize) {
      double sum = 0;
      for (int i = g; i < g + groupSize; i++) {
        sum += scores[i];
      }
      double mean = sum / groupSize;
      double sumSq = 0;
      for (int i = g; i < g + groupSize; i++) {
        double d = scores[i] - mean;
        sumSq += d * d;
      }
      double denominator = Math.sqrt(sumSq / divisor) + eps;
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
