package org.rlhf4j.config;

/**
 * Reward-model training: batch shape, steps, checkpoint cadence, held-out fraction, and how the
 * head pools its per-token scores ({@code last} or {@code sum}).
 */
public record RewardConfig(int batchSize, int steps, int maxLength, int checkpointEvery,
    double evalFraction, String pooling) {}
