package org.rlhf4j.config;

/** Evaluation: how many held-out prompts and how the evaluated policies sample. */
public record EvalConfig(int prompts, double temperature, int topK, double topP,
    int maxNewTokens) {}
