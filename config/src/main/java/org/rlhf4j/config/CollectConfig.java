package org.rlhf4j.config;

/**
 * Comparison collection: prompts, K samples each, sampling, the simulated human, and whether
 * pairs with equal gold scores are dropped as ties.
 */
public record CollectConfig(int prompts, int samplesPerPrompt, double temperature,
    int maxNewTokens, double humanTemperature, boolean dropTies) {}
