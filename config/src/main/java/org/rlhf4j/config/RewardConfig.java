package org.rlhf4j.config;

/** Reward-model training: batch shape, steps, checkpoint cadence, held-out fraction. */
public record RewardConfig(int batchSize, int steps, int maxLength, int checkpointEvery,
    double evalFraction) {}
