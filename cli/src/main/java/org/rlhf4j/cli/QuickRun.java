package org.rlhf4j.cli;

import java.util.Map;

/** The settings {@code --quick} puts over the configuration: the same pipeline, shorter. */
final class QuickRun {
  /** PPO: fewer, smaller iterations. */
  static final Map<String, Object> PPO = Map.of(
      "rlhf4j.ppo.iterations", 20,
      "rlhf4j.ppo.batch-size", 16,
      "rlhf4j.ppo.epochs", 2);
  static final String PPO_DESCRIPTION = "20 iterations of 16 rollouts, 2 epochs each";

  private QuickRun() {}
}
