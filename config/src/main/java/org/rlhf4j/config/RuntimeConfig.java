package org.rlhf4j.config;

/**
 * Threading of the tensor engine: ND4J/OpenMP threads per model copy, and the most shards an SFT
 * batch's gradient is split into, each on its own thread (OpenMP's wait policy is an environment
 * variable read when the native library loads; {@code bin/rlhf4j} sets it); and whether training
 * passes compute activations again in the backward instead of keeping them.
 */
public record RuntimeConfig(int threadsPerModel, int trainShards, boolean recomputeActivations) {}
