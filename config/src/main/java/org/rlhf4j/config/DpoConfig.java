package org.rlhf4j.config;

/**
 * Direct Preference Optimization and its family: loss, β, smoothing, RPO's NLL weight and the
 * run's shape.
 */
public record DpoConfig(double beta, String loss, double labelSmoothing,
    boolean precomputeReference, int batchSize, int steps, int maxLength, int checkpointEvery,
    double rpoAlpha) {
  public DpoConfig {
    if (loss.equals("robust") && labelSmoothing >= 0.5) {
      throw new IllegalArgumentException("robust DPO needs label-smoothing < 0.5, got "
          + labelSmoothing);
    }
  }
}
