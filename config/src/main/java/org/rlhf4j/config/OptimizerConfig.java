package org.rlhf4j.config;

/** AdamW, its learning-rate schedule and gradient clipping. */
public record OptimizerConfig(double learningRate, String schedule, int warmupSteps,
    double minLrRatio, double beta1, double beta2, double eps, double weightDecay,
    double maxGradNorm, int maxBadSteps) {}
