package org.rlhf4j.learner.rl;

/** Metric names of the PPO family, in {@code group/name} form, reusing TRL's where it has one. */
public final class PpoMetrics {
  /** Mean over responses of the summed per-token KL to the reference (TRL). */
  public static final String OBJECTIVE_KL = "objective/kl";
  /** The KL coefficient β in use (TRL's earlier PPO trainer). */
  public static final String OBJECTIVE_KL_COEF = "objective/kl_coef";
  /**
   * Mean per-token entropy of the policy over real tokens (TRL): exact when the entropy bonus is
   * on, else estimated from the samples ({@link #sampledEntropy}).
   */
  public static final String OBJECTIVE_ENTROPY = "objective/entropy";
  /** Mean over responses of {@code −β·Σ kl_t} (TRL). */
  public static final String OBJECTIVE_NON_SCORE_REWARD = "objective/non_score_reward";
  /** Mean reward-model score, after any missing-EOS penalty (TRL). */
  public static final String OBJECTIVE_SCORES = "objective/scores";
  /** Mean of score plus non-score reward: the quantity RLHF maximises (TRL). */
  public static final String OBJECTIVE_RLHF_REWARD = "objective/rlhf_reward";
  /** {@code 0.5·mean((logp − logp_anchor)²)} over real tokens (TRL). */
  public static final String POLICY_APPROXKL_AVG = "policy/approxkl_avg";
  /** Fraction of real tokens where the clipped policy arm was strictly larger (TRL). */
  public static final String POLICY_CLIPFRAC_AVG = "policy/clipfrac_avg";
  /** Mean truncated importance weight π_prox/π_behaviour in the decoupled objective (AReaL). */
  public static final String POLICY_BEHAVIOUR_WEIGHT_AVG = "policy/behav_imp_weight_avg";
  /** Fraction of real tokens whose π_prox/π_behaviour exceeded the cap and was truncated. */
  public static final String POLICY_BEHAVIOUR_WEIGHT_CAPPED_FRAC =
      "policy/behav_imp_weight_capped_frac";
  /** Masked mean of the clipped policy-gradient loss (TRL). */
  public static final String LOSS_POLICY_AVG = "loss/policy_avg";
  /** Masked mean of the clipped value loss, before {@code vf_coef} (TRL). */
  public static final String LOSS_VALUE_AVG = "loss/value_avg";
  /**
   * Masked mean of the per-token k3 KL between the policy being trained and the reference, before
   * β, when the loss carries it (GRPO with {@code grpo.kl-in = loss}; TRL GRPO's {@code kl}).
   */
  public static final String LOSS_KL_AVG = "loss/kl_avg";
  /** Policy loss + vf_coef·value loss − ent_coef·entropy (+ β·KL): what the optimizer minimises. */
  public static final String LOSS_TOTAL = "loss/total";
  /** Mean probability ratio over real tokens; near 1 when the update stays on-policy (TRL). */
  public static final String VAL_RATIO = "val/ratio";
  /** Fraction of real tokens where the clipped value arm was strictly larger (TRL). */
  public static final String VAL_CLIPFRAC_AVG = "val/clipfrac_avg";

  private PpoMetrics() {}

  /**
   * The Monte Carlo estimate of the mean per-token entropy, {@code −mean log π(sampled token)} over
   * real tokens ({@code mask} 1), from the behaviour log-probs; NaN without a real token.
   */
  public static double sampledEntropy(double[] logprobs, double[] mask) {
    double sum = 0;
    double count = 0;
    for (int i = 0; i < logprobs.length; i++) {
      sum -= mask[i] * logprobs[i];
      count += mask[i];
    }
    return count == 0 ? Double.NaN : sum / count;
  }
}
