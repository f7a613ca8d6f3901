package org.rlhf4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's own defaults, stage by stage, beneath the user's {@code --config}: the tokenizer and
 * response length every stage shares, how long each stage trains, its learning rate, and the KL
 * coefficients and β of the frontier sweep. Their budgets on 2 cores: 15 and 3 minutes.
 *
 * @param common configuration keys to values for every stage
 * @param stages per stage name, full configuration keys to values
 * @param klCoefs PPO's KL coefficients swept for the frontier besides the main run's
 * @param betas DPO's β swept for the frontier besides the main run's
 */
record DemoPlan(String name, Map<String, Object> common, Map<String, Map<String, Object>> stages,
    List<Double> klCoefs, List<Double> betas) {

  static final String SFT = "sft";
  static final String COLLECT = "collect";
  static final String RM = "rm";
  static final String PPO = "ppo";
  static final String DPO = "dpo";
  static final String EVAL = "eval";

  // Whole words from a learned BPE: with bytes the small model wrote pseudo-words, 89% of sampled
  // pairs tied at a gold score of 0, and the reward model reached 0.68 held-out (0.84 with 2,048
  // tokens). With 2,048 tokens 25% of the SFT model's words were still pseudo-words, made of
  // pieces; with 8,192 most words are one token and, sampled from the top 50 tokens as Hugging
  // Face's generate does, 90-92% are real (the pieces come from the distribution's long tail).
  // Responses of 16 tokens are about 60 characters, as 32 bytes were 32.
  private static final Map<String, Object> COMMON = Map.of(
      "rlhf4j.tokenizer.kind", "bpe", "rlhf4j.model.vocab-size", 8192,
      "rlhf4j.collect.max-new-tokens", 16, "rlhf4j.ppo.response-length", 16,
      "rlhf4j.eval.max-new-tokens", 16, "rlhf4j.eval.temperature", 0.7, "rlhf4j.eval.top-k", 50);

  // PPO's entropy bonus and KL coefficient. Without a bonus PPO answered nearly every prompt with
  // the one sentiment word the reward model likes most ("is a good"; distinct-2 0.28 against the
  // SFT model's 0.87). With 8,192 tokens the full plan at KL 0.1 and a bonus of 0.05 still
  // collapsed (distinct-2 0.33 against 0.68) and at 0.1 ran away (win 0.66); KL 0.2 with 0.08 won
  // 0.92 and kept 0.45. The quick plan's doubled learning rate ran away at KL 0.1 (win 0.69 and
  // 0.56 at bonuses 0.03 and 0.05); at KL 0.2 and 0.03 it won 0.65 to 0.92 from run to run, and
  // the bonus's extra entropy turned into pseudo-words (real words 82%) in some; at KL 0.15 and
  // 0.02 it won 0.84 and 0.87 but once ran away (win 0.50, distinct-2 0.87): the bonus pushes
  // mass onto the whole 8,192-token tail faster than the KL penalty, which sees sampled tokens
  // only, pulls it back. Without a bonus, at KL 0.3, three runs won 0.85 to 0.90 with distinct-2
  // 0.39 to 0.42 of 0.68, and one on another collection's reward model 0.92 with 0.27 (KL 0.4:
  // 0.81 to 0.89).
  private static final double KL_COEF = 0.2;
  private static final double ENTROPY_BONUS = 0.08;
  private static final double QUICK_KL_COEF = 0.3;
  private static final double QUICK_ENTROPY_BONUS = 0.0;
  private static final int QUICK_PPO_BATCH = 64;
  // The reward model's own: at the default 3e-4 the 8,192-token reward model reached 0.75-0.79
  // held out in 300 steps, at 1e-3 0.84 (0.82 at 6e-4).
  private static final double RM_LEARNING_RATE = 1e-3;

  /** The default demo. */
  static DemoPlan full() {
    Map<String, Map<String, Object>> s = new LinkedHashMap<>();
    s.put(SFT, Map.of("rlhf4j.sft.steps", 2000, "rlhf4j.sft.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3, "rlhf4j.optimizer.warmup-steps", 50));
    s.put(COLLECT, Map.of("rlhf4j.collect.prompts", 8000));
    s.put(RM, Map.of("rlhf4j.reward.steps", 1000, "rlhf4j.reward.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", RM_LEARNING_RATE));
    // 100 iterations won 0.82 on one collection and 0.68 on another (distinct-2 barely moved);
    // with faster steps, 150 won 0.94 keeping distinct-2 0.42 of 0.68 (200: 0.90, 0.36)
    s.put(PPO, Map.of("rlhf4j.ppo.iterations", 150, "rlhf4j.ppo.kl-coef", KL_COEF,
        "rlhf4j.ppo.entropy-coef", ENTROPY_BONUS));
    s.put(DPO, Map.of("rlhf4j.dpo.steps", 800, "rlhf4j.dpo.batch-size", 32,
        "rlhf4j.dpo.beta", 0.5));
    s.put(EVAL, Map.of("rlhf4j.eval.prompts", 200));
    return new DemoPlan("full", COMMON, s, List.of(0.1, 0.4), List.of(0.1, 2.0));
  }

  /**
   * {@code --quick}: the full plan's SFT model, fewer comparisons and shorter runs after it; PPO's
   * learning rate is doubled and DPO's β is TRL's 0.1 so that both move within the fewer steps,
   * with RPO's NLL term so that DPO's completions stay text.
   */
  static DemoPlan quick() {
    Map<String, Map<String, Object>> s = new LinkedHashMap<>();
    s.put(SFT, Map.of("rlhf4j.sft.steps", 2000, "rlhf4j.sft.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3, "rlhf4j.optimizer.warmup-steps", 50));
    s.put(COLLECT, Map.of("rlhf4j.collect.prompts", 3000));
    s.put(RM, Map.of("rlhf4j.reward.steps", 300, "rlhf4j.reward.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", RM_LEARNING_RATE));
    // Run synchronously (credits = one batch, no lag), so that a seed gives one model on a
    // machine: asynchronous, which policy version samples what depends on thread timing, and two
    // runs of the same settings won 0.885 and 0.723. Three seeds per setting (BENCHMARKS.md,
    // session 7): 60 batches of 32 at temperature 0.7 kept distinct-2 0.29, 0.33 and 0.44 of the
    // SFT model's 0.68 (half is 0.34); sampled at temperature 1 the policy learns from more
    // varied responses (6 tokens long, not 3.5), and 40 batches of 64 won 0.85 to 0.89 keeping
    // 0.38 to 0.51 (30 batches: won 0.67 to 0.94, the reward is found at a seed's own moment)
    s.put(PPO, Map.ofEntries(Map.entry("rlhf4j.ppo.iterations", 40),
        Map.entry("rlhf4j.ppo.batch-size", QUICK_PPO_BATCH),
        Map.entry("rlhf4j.ppo.temperature", 1.0),
        Map.entry("rlhf4j.async.max-in-flight", QUICK_PPO_BATCH),
        Map.entry("rlhf4j.async.max-lag", 0),
        Map.entry("rlhf4j.optimizer.learning-rate", 6e-4),
        Map.entry("rlhf4j.ppo.kl-coef", QUICK_KL_COEF),
        Map.entry("rlhf4j.ppo.entropy-coef", QUICK_ENTROPY_BONUS)));
    // at β 0.1 plain DPO freed enough probability mass that 41% of its completions (2,048
    // tokens, all sampled) were bytes that are not text; RPO's NLL term kept them text. With
    // 8,192 tokens sampled from the top 50, α 0.2 held DPO at the SFT model (win 0.67, KL 1.4);
    // α 0.05 won 0.77 at KL 3.8 with its text as good as the SFT model's (plain DPO: 0.81, KL 9.6).
    // At the default learning rate its margins still grew at the last step, and comparisons
    // sampled a little differently made it win 0.67; at 6e-4 it won 0.81 and 0.90 on two
    // collections with text as good (at 1e-3 4% of its completions were not text)
    s.put(DPO, Map.of("rlhf4j.dpo.steps", 300, "rlhf4j.dpo.batch-size", 32,
        "rlhf4j.dpo.beta", 0.1, "rlhf4j.dpo.rpo-alpha", 0.05,
        "rlhf4j.optimizer.learning-rate", 6e-4));
    s.put(EVAL, Map.of("rlhf4j.eval.prompts", 200));
    return new DemoPlan("quick", COMMON, s, List.of(), List.of());
  }

  /** The settings of {@code stage}: the common ones and its own. */
  Map<String, Object> of(String stage) {
    Map<String, Object> settings = new LinkedHashMap<>(common);
    settings.putAll(stages.getOrDefault(stage, Map.of()));
    return settings;
  }
}
