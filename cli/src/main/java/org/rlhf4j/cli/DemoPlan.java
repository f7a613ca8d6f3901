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
  /** The stages in pipeline order, each with its own configuration. */
  static final List<String> STAGES = List.of(SFT, COLLECT, RM, PPO, DPO, EVAL);

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

  // PPO, both plans (BENCHMARKS.md, sessions 6 and 7): an entropy bonus pushes mass onto the
  // whole 8,192-token tail faster than the KL penalty, which sees sampled tokens only, pulls it
  // back (the full plan's KL 0.2 + 0.08 ran away to win 0.69 with distinct-2 0.89 in one run and
  // to 0.47-0.56 on the quick plan's reward model), so there is none. Synchronous (credits = one
  // batch, no lag), so that a seed gives one model: asynchronous, which policy version samples
  // what depends on thread timing (two runs of the same settings won 0.885 and 0.723). Sampled at
  // temperature 1, the policy learns from more varied responses (6 tokens, not 3.5 at 0.7) and
  // keeps more of the SFT model's bigrams at the same KL; 64 prompts a batch steady the seeds.
  // Quick plan, three seeds: 60 batches of 32 at 0.7 kept distinct-2 0.29, 0.33 and 0.44 of the
  // SFT model's 0.68; these settings won 0.85 to 0.89 keeping 0.38 to 0.51. The full plan's
  // reward model is easier to please: at KL 0.3 it won 0.89-0.91 but kept only 0.34-0.36, at
  // 0.4 it won 0.84-0.89 keeping 0.42-0.49 (KL 0.3 at half the learning rate for 60 batches:
  // 0.77 once). The quick plan ran at 0.3 until a host with AVX-512 (16 lanes, so other roundings
  // and another model) kept only 0.38 of the SFT model's distinct-2 there; at 0.4 it kept 0.77
  // there and 0.64 with AVX2 (-XX:UseAVX=2, DNNL_MAX_CPU_ISA=AVX2), winning 0.90 both times
  // (BENCHMARKS.md, session 18)
  private static final double KL_COEF = 0.4;
  private static final int PPO_BATCH = 64;
  private static final int PPO_ITERATIONS = 40;
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
    s.put(PPO, ppo(KL_COEF));
    s.put(DPO, Map.of("rlhf4j.dpo.steps", 800, "rlhf4j.dpo.batch-size", 32,
        "rlhf4j.dpo.beta", 0.5));
    s.put(EVAL, Map.of("rlhf4j.eval.prompts", 200));
    return new DemoPlan("full", COMMON, s, List.of(0.2, 0.8), List.of(0.1, 2.0));
  }

  /**
   * {@code --quick}: the full plan's SFT model, fewer comparisons and shorter runs after it;
   * DPO's β is TRL's 0.1 so that it moves within the fewer steps, with RPO's NLL term so that its
   * completions stay text.
   */
  static DemoPlan quick() {
    Map<String, Map<String, Object>> s = new LinkedHashMap<>();
    s.put(SFT, Map.of("rlhf4j.sft.steps", 2000, "rlhf4j.sft.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", 1e-3, "rlhf4j.optimizer.warmup-steps", 50));
    s.put(COLLECT, Map.of("rlhf4j.collect.prompts", 3000));
    s.put(RM, Map.of("rlhf4j.reward.steps", 300, "rlhf4j.reward.batch-size", 32,
        "rlhf4j.optimizer.learning-rate", RM_LEARNING_RATE));
    s.put(PPO, ppo(KL_COEF));
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

  /** PPO's stage settings at KL coefficient {@code klCoef} (see above for the rest). */
  private static Map<String, Object> ppo(double klCoef) {
    return Map.ofEntries(Map.entry("rlhf4j.ppo.iterations", PPO_ITERATIONS),
        Map.entry("rlhf4j.ppo.batch-size", PPO_BATCH),
        Map.entry("rlhf4j.ppo.temperature", 1.0),
        Map.entry("rlhf4j.async.max-in-flight", PPO_BATCH),
        Map.entry("rlhf4j.async.max-lag", 0),
        Map.entry("rlhf4j.optimizer.learning-rate", 6e-4),
        Map.entry("rlhf4j.ppo.kl-coef", klCoef),
        Map.entry("rlhf4j.ppo.entropy-coef", 0.0));
  }

  /** How a stage's configuration names these settings, e.g. {@code the demo's quick plan}. */
  String origin() {
    return "the demo's " + name + " plan";
  }

  /** The settings of {@code stage}: the common ones and its own. */
  Map<String, Object> of(String stage) {
    Map<String, Object> settings = new LinkedHashMap<>(common);
    settings.putAll(stages.getOrDefault(stage, Map.of()));
    return settings;
  }
}
