package org.rlhf4j.config;

/** Supervised fine-tuning: batch shape, length, steps and checkpoint cadence. */
public record SftConfig(int batchSize, int steps, int maxLength, boolean completionOnly,
    int checkpointEvery, boolean groupByLength) {}
