package org.rlhf4j.learner.preference;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TRL's DPO metrics for one batch, under TRL's names; a completion's implicit reward is
 * β·(logπ − logπ_ref), in the units of the log-probs passed in (per-token averages for IPO).
 *
 * @param rewardsChosen mean implicit reward of the chosen completions
 * @param rewardsRejected mean implicit reward of the rejected completions
 * @param rewardsAccuracies fraction of pairs whose chosen reward is the larger (a tie is wrong)
 * @param rewardsMargins mean of chosen minus rejected reward
 * @param logpsChosen mean policy log-prob of the chosen completions
 * @param logpsRejected mean policy log-prob of the rejected completions
 */
public record DpoMetrics(double rewardsChosen, double rewardsRejected, double rewardsAccuracies,
    double rewardsMargins, double logpsChosen, double logpsRejected) {
  /** Mean β·(logπ(y_w) − logπ_ref(y_w)); 0 at the start, as the policy is the reference. */
  public static final String REWARDS_CHOSEN = "rewards/chosen";
  /** Mean β·(logπ(y_l) − logπ_ref(y_l)); healthy training drives it below zero. */
  public static final String REWARDS_REJECTED = "rewards/rejected";
  /** Fraction of pairs ranked right by the implicit reward; should climb well above 0.5. */
  public static final String REWARDS_ACCURACIES = "rewards/accuracies";
  /** Mean βh, the implicit reward gap; 0 at the start, should grow. */
  public static final String REWARDS_MARGINS = "rewards/margins";
  /** Mean policy log-prob of the chosen completions; a steep fall means both are pushed down. */
  public static final String LOGPS_CHOSEN = "logps/chosen";
  /** Mean policy log-prob of the rejected completions. */
  public static final String LOGPS_REJECTED = "logps/rejected";

  /** The six values under TRL's names, in the order TRL 1.x logs them. */
  public Map<String, Double> asMap() {
    Map<String, Double> out = new LinkedHashMap<>();
    out.put(REWARDS_CHOSEN, rewardsChosen);
    out.put(REWARDS_REJECTED, rewardsRejected);
    out.put(REWARDS_ACCURACIES, rewardsAccuracies);
    out.put(REWARDS_MARGINS, rewardsMargins);
    out.put(LOGPS_CHOSEN, logpsChosen);
    out.put(LOGPS_REJECTED, logpsRejected);
    return out;
  }
}
