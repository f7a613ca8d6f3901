package org.rlhf4j.config;

/**
 * GRPO's choices where TRL's {@code GRPOTrainer} offers them ({@code rlhf4j.ppo.grpo}); RLOO and
 * GAE ignore them.
 *
 * @param klIn where the KL to the reference goes: the loss (TRL's GRPO) or the reward (RLOO's)
 * @param scaleRewards what the distance from the group mean is divided by: group, batch or none
 */
public record GrpoConfig(String klIn, String scaleRewards) {

  /** Whether the KL to the reference is a term of the loss rather than part of the reward. */
  public boolean klInLoss() {
    return klIn.equals("loss");
  }
}
