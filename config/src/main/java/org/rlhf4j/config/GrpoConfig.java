package org.rlhf4j.config;

/**
 * GRPO's choices where TRL's {@code GRPOTrainer} offers them ({@code rlhf4j.ppo.grpo}); RLOO and
 * GAE ignore them.
 *
 * @param scaleRewards what the distance from the group mean is divided by: group, batch or none
 */
public record GrpoConfig(String scaleRewards) {}
