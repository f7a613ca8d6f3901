package org.rlhf4j.learner.preference;

/** The Bradley–Terry reward-model loss over (chosen, rejected) reward pairs, with its gradient. */
public final class BradleyTerryObjective {
  private BradleyTerryObjective() {}

  /**
   * The loss, its gradient with respect to each reward, and TRL's reward-model metrics.
   *
   * @param loss the weighted mean over pairs of −log σ(r_chosen − r_rejected − margin)
   * @param gradChosen ∂loss/∂r_chosen, one per pair (a fresh array, owned by the caller)
   * @param gradRejected ∂loss/∂r_rejected, one per pair (a fresh array, owned by the caller)
   * @param accuracy the fraction of pairs with r_chosen &gt; r_rejected (a tie counts as wrong)
   * @param meanMargin the mean of r_chosen − r_rejected: TRL's {@code margin} metric, the reward
   *     gap the model has learned, not the mean of the margins passed in
   */
  public record Result(double loss, double[] gradChosen, double[] gradRejected, double accuracy,
      double meanMargin) {}

  /** Mean over P pairs of −log σ(r_chosen − r_rejected). */
  public static Result evaluate(double[] chosenRewards, double[] rejectedRewards) {
    return evaluate(chosenRewards, rejectedRewards, null, null);
  }

  /**
   * Mean over P pairs of −log σ(r_chosen − r_rejected − margin): Llama 2's margin, as TRL's
   * RewardTrainer takes it from a {@code margin} column.
   */
  public static Result evaluate(double[] chosenRewards, double[] rejectedRewards,
      double[] margins) {
    return evaluate(chosenRewards, rejectedRewards, margins, null);
  }

  /**
   * Σ_i w_i·ℓ_i / Σ_i w_i with ℓ_i = −log σ(r_chosen,i − r_rejected,i − m_i). Unit weights give
   * the plain mean over pairs (TRL's RewardTrainer); the weights of
   * {@link Rankings.Weighting#PER_PROMPT} give InstructGPT's mean over prompts of each prompt's
   * mean over its K·(K−1)/2 pairs. The metrics stay unweighted means over pairs, as TRL's are.
   *
   * @param margins the required reward gap per pair, or null for none
   * @param weights a weight ≥ 0 per pair, with a positive sum, or null for 1 each
   */
  public static Result evaluate(double[] chosenRewards, double[] rejectedRewards,
      double[] margins, double[] weights) {
    int p = PairArrays.count("chosenRewards", chosenRewards, new String[] {"rejectedRewards"},
        rejectedRewards);
    if (margins != null) {
      PairArrays.count("chosenRewards", chosenRewards, new String[] {"margins"}, margins);
    }
    double weightSum = p;
    if (weights != null) {
      PairArrays.count("chosenRewards", chosenRewards, new String[] {"weights"}, weights);
      weightSum = checkedWeightSum(weights);
    }
    double[] gradChosen = new double[p]; // (P,)
    double[] gradRejected = new double[p]; // (P,)
    double loss = 0;
    int correct = 0;
    double gapSum = 0;
    for (int i = 0; i < p; i++) {
      double gap = chosenRewards[i] - rejectedRewards[i];
      double z = gap - (margins == null ? 0 : margins[i]);
      double w = (weights == null ? 1 : weights[i]) / weightSum;
      // −log σ(z) = softplus(−z), finite for any finite z; its slope is −σ(−z)
      loss += w * Sigmoid.softplus(-z);
      double slope = -Sigmoid.of(-z);
      gradChosen[i] = w * slope;
      gradRejected[i] = -w * slope;
      if (chosenRewards[i] > rejectedRewards[i]) {
        correct++;
      }
      gapSum += gap;
    }
    return new Result(loss, gradChosen, gradRejected, (double) correct / p, gapSum / p);
  }

  private static double checkedWeightSum(double[] weights) {
    double sum = 0;
    for (int i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
        throw new IllegalArgumentException(
            "weights[" + i + "] must be a finite number ≥ 0, got " + weights[i]);
      }
      sum += weights[i];
    }
    if (sum <= 0) {
      throw new IllegalArgumentException(
          "weights sum to " + sum + "; at least one pair needs a positive weight");
    }
    return sum;
  }
}
