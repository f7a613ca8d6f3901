package org.rlhf4j.config;

/** Comparison collection: prompts, K samples each, sampling and the simulated human. */
public record CollectConfig(int prompts, int samplesPerPrompt, double temperature,
    int maxNewTokens, double humanTemperature) {}
