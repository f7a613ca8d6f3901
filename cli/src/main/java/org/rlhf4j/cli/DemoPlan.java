package org.rlhf4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's own defaults, stage by stage, beneath the user's {@code --config}: how long each
 * stage trains, its learning rate, and the KL coefficients and β of the frontier sweep. The full
 * plan fits 15 minutes on 2 cores, the quick one 3.
 *
 * @param stages per stage name, full configuration keys to values
 * @param klCoefs PPO's KL coefficients swept for the frontier besides the main run's
 * @param betas DPO's β swept for the frontier besides the main run's
 */
record DemoPlan(String name, Map<String, Map<String, Object>> stages, List<Double> klCoefs,
    List<Double> betas) {

  static final String SFT = "sft";
  static final String COLLECT = "collect";
  static final String RM = "rm";
  static final String PPO = "ppo";
  static final String DPO = "dpo";
  static final String EVAL = "eval";

  /** The default demo. */
  static DemoPlan full() {
    Map<String, Map<String, Object>> s = new LinkedHashMap<>();
    s.put(SFT, Map.of("rlhf4j.sft.steps", 1200, "rlhf4j.sft.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3, "rlhf4j.optimizer.warmup-steps", 50));
    s.put(COLLECT, Map.of("rlhf4j.collect.prompts", 4000, "rlhf4j.collect.max-new-tokens", 32));
    s.put(RM, Map.of("rlhf4j.reward.steps", 600, "rlhf4j.reward.batch-size", 32));
    s.put(PPO, Map.of("rlhf4j.ppo.iterations", 100));
    s.put(DPO, Map.of("rlhf4j.dpo.steps", 400, "rlhf4j.dpo.batch-size", 32));
    s.put(EVAL, Map.of("rlhf4j.eval.prompts", 200, "rlhf4j.eval.temperature", 0.7,
        "rlhf4j.eval.max-new-tokens", 32));
    return new DemoPlan("full", s, List.of(0.01, 0.2), List.of(0.03, 0.5));
  }

  /** {@code --quick}: the same stages, shorter. */
  static DemoPlan quick() {
    Map<String, Map<String, Object>> s = new LinkedHashMap<>();
    s.put(SFT, Map.of("rlhf4j.sft.steps", 300, "rlhf4j.sft.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3, "rlhf4j.optimizer.warmup-steps", 30));
    s.put(COLLECT, Map.of("rlhf4j.collect.prompts", 3000, "rlhf4j.collect.max-new-tokens", 32));
    s.put(RM, Map.of("rlhf4j.reward.steps", 300, "rlhf4j.reward.batch-size", 32));
    s.put(PPO, Map.of("rlhf4j.ppo.iterations", 60));
    s.put(DPO, Map.of("rlhf4j.dpo.steps", 120, "rlhf4j.dpo.batch-size", 32));
    s.put(EVAL, Map.of("rlhf4j.eval.prompts", 100, "rlhf4j.eval.temperature", 0.7,
        "rlhf4j.eval.max-new-tokens", 32));
    return new DemoPlan("quick", s, List.of(), List.of());
  }

  /** The settings of {@code stage} (empty for a stage the plan leaves at the defaults). */
  Map<String, Object> of(String stage) {
    return stages.getOrDefault(stage, Map.of());
  }
}
