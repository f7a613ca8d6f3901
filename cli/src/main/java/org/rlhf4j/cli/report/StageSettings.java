package org.rlhf4j.cli.report;

import java.util.Locale;
import org.rlhf4j.config.DpoConfig;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.config.RlhfConfig;

/**
 * What a stage's configuration says about it in words: its model's name with the key setting
 * ({@code PPO KL coef = 0.3}, {@code DPO β = 0.1}), how long it trained, its learning rate.
 */
final class StageSettings {
  static final String NONE = "—";

  private StageSettings() {}

  /**
   * The name of the model {@code run} trained, with its key setting when its configuration
   * reads: {@code SFT}, {@code Reward model}, {@code PPO KL coef = 0.3}, {@code GRPO KL coef =
   * 0.04}, {@code DPO β = 0.1}, {@code DPO (ipo) β = 0.5}; the directory for unknown metrics.
   */
  static String modelName(StageRun run) {
    return switch (run.stage()) {
      case SFT, REWARD_MODEL -> run.stage().displayName;
      case DPO -> run.config().map(c -> dpoName(c.dpo()) + " β = " + Decimals.format(
          c.dpo().beta())).orElse("DPO (" + run.directory() + ")");
      case PPO -> run.config().map(c -> ppoName(c.ppo()) + " KL coef = " + Decimals.format(
          c.ppo().klCoef())).orElse("PPO (" + run.directory() + ")");
      case OTHER -> run.directory();
    };
  }

  /** The key setting as a number, to order a sweep: PPO's KL coefficient, DPO's β; else NaN. */
  static double keySetting(StageRun run) {
    return run.config().map(c -> switch (run.stage()) {
      case DPO -> c.dpo().beta();
      case PPO -> c.ppo().klCoef();
      default -> Double.NaN;
    }).orElse(Double.NaN);
  }

  /** {@code KL coef 0.3}, {@code β 0.1, RPO α 0.05}; {@value #NONE} for other stages. */
  static String keySettingText(StageRun run) {
    if (run.config().isEmpty()) {
      return NONE;
    }
    RlhfConfig c = run.config().get();
    return switch (run.stage()) {
      case DPO -> "β " + Decimals.format(c.dpo().beta())
          + (c.dpo().rpoAlpha() > 0 ? ", RPO α " + Decimals.format(c.dpo().rpoAlpha()) : "")
          + (c.dpo().loss().equals("sigmoid") ? "" : ", loss " + c.dpo().loss());
      case PPO -> "KL coef " + Decimals.format(c.ppo().klCoef())
          + (c.ppo().entropyCoef() > 0 ? ", entropy coef " + Decimals.format(
              c.ppo().entropyCoef()) : "");
      default -> NONE;
    };
  }

  /**
   * How long the configuration had the stage train: {@code 2000 steps of 32},
   * {@code 40 iterations of 64 prompts}; {@value #NONE} when unknown.
   */
  static String length(StageRun run) {
    if (run.config().isEmpty()) {
      return NONE;
    }
    RlhfConfig c = run.config().get();
    return switch (run.stage()) {
      case SFT -> c.sft().steps() + " steps of " + c.sft().batchSize() + " texts";
      case REWARD_MODEL -> c.reward().steps() + " steps of " + c.reward().batchSize() + " pairs";
      case DPO -> c.dpo().steps() + " steps of " + c.dpo().batchSize() + " pairs";
      case PPO -> c.ppo().iterations() + " iterations of " + c.ppo().batchSize() + " prompts";
      case OTHER -> NONE;
    };
  }

  /** The optimizer's peak learning rate; {@value #NONE} when unknown. */
  static String learningRate(StageRun run) {
    return run.config().map(c -> Decimals.format(c.optimizer().learningRate())).orElse(NONE);
  }

  /** {@code 2 layers of width 128, 4 heads, 128-token context}. */
  static String model(RlhfConfig c) {
    return c.model().layers() + " layers of width " + c.model().dModel() + ", "
        + c.model().heads() + " heads, " + c.model().contextLength() + "-token context";
  }

  /** {@code BPE of 8,192 tokens learned from the training texts}, {@code bytes (260 tokens)}. */
  static String tokenizer(RlhfConfig c) {
    String size = String.format(Locale.ROOT, "%,d", c.model().vocabSize());
    return c.tokenizer().learnsBpe() ? "BPE of " + size + " tokens learned from the training texts"
        : "bytes (" + size + " tokens with the specials)";
  }

  private static String dpoName(DpoConfig dpo) {
    return dpo.loss().equals("sigmoid") ? "DPO" : "DPO (" + dpo.loss() + ")";
  }

  private static String ppoName(PpoConfig ppo) {
    return ppo.advantage().equals("gae") ? "PPO" : ppo.advantage().toUpperCase(Locale.ROOT);
  }
}
