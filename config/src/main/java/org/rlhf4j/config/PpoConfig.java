package org.rlhf4j.config;

/** PPO for RLHF with TRL's defaults: rollouts, KL penalty, GAE or grouped advantages, critic, clipping. */
public record PpoConfig(int batchSize, int iterations, int epochs, int minibatches,
    double cliprange, double cliprangeValue, double vfCoef, double entropyCoef, double gamma,
    double lambda, double klCoef, String klEstimator, boolean adaptiveKl, double targetKl,
    int klHorizon, double earlyStopKl, boolean whitenRewards, double missingEosPenalty,
    double temperature, int responseLength, String stopToken, String advantage, int groupSize,
    GrpoConfig grpo, String critic,
    boolean decoupled, double importanceCap, int checkpointEvery) {
  public PpoConfig {
    if (batchSize % minibatches != 0) {
      throw new IllegalArgumentException("batch-size (" + batchSize
          + ") must be divisible by minibatches (" + minibatches + ")");
    }
    if (stopToken.equals("none") && missingEosPenalty > 0) {
      throw new IllegalArgumentException("missing-eos-penalty (" + missingEosPenalty
          + ") needs stop-token = \"eos\": with \"none\" no response ends with EOS, so every one"
          + " would be penalised");
    }
    if (!advantage.equals("gae") && groupSize < 2) {
      throw new IllegalArgumentException(advantage + " needs group-size >= 2, got " + groupSize);
    }
  }
}
