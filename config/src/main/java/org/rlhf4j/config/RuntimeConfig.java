package org.rlhf4j.config;

/** Threading of the tensor engine: ND4J/OpenMP threads per model copy and OpenMP's wait policy. */
public record RuntimeConfig(int threadsPerModel, String ompWaitPolicy) {}
