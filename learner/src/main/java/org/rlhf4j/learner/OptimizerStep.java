package org.rlhf4j.learner;

import org.rlhf4j.config.OptimizerConfig;
import org.rlhf4j.model.AdamW;
import org.rlhf4j.model.GradientClipping;
import org.rlhf4j.model.LearningRateSchedule;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.Kernels;

/**
 * One optimizer update with the run's safeguards: global-norm clipping, the learning-rate
 * schedule, and skipping (and counting) an update whose loss or gradient is not finite; too many
 * in a row stop training with {@link TrainingDivergedException}.
 */
public final class OptimizerStep {
  /** What one update did. */
  public record Outcome(double learningRate, double gradNorm, boolean skipped) {}

  private final OptimizerConfig config;
  private final AdamW adamw;
  private final LearningRateSchedule schedule;
  private int badInARow;
  private long skippedTotal;

  public OptimizerStep(ParameterStore params, OptimizerConfig config, long totalSteps,
      Kernels kernels) {
    this.config = config;
    this.adamw = new AdamW(params, new AdamW.Settings(config.beta1(), config.beta2(), config.eps(),
        config.weightDecay()), kernels);
    this.schedule = schedule(config, totalSteps);
  }

  static LearningRateSchedule schedule(OptimizerConfig c, long totalSteps) {
    long warmup = Math.min(c.warmupSteps(), totalSteps);
    return switch (c.schedule()) {
      case "constant" -> LearningRateSchedule.constant(c.learningRate());
      case "linear" -> LearningRateSchedule.warmupLinear(c.learningRate(), warmup, totalSteps,
          c.minLrRatio());
      case "cosine" -> LearningRateSchedule.warmupCosine(c.learningRate(), warmup, totalSteps,
          c.minLrRatio());
      default -> throw new IllegalArgumentException("unknown schedule " + c.schedule());
    };
  }

  /** Clips and applies {@code grads} at training step {@code step} (0-based), unless non-finite. */
  public Outcome apply(ParameterStore params, ParameterStore grads, double loss, long step) {
    double lr = schedule.at(step);
    double norm = config.maxGradNorm() > 0
        ? GradientClipping.clipGlobalNorm(grads, config.maxGradNorm())
        : grads.flat().norm2Number().doubleValue();
    if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
      badInARow++;
      skippedTotal++;
      if (badInARow >= config.maxBadSteps()) {
        throw new TrainingDivergedException("stopped after " + badInARow
            + " consecutive non-finite steps (loss " + loss + ", gradient norm " + norm
            + " at step " + step + "); lower rlhf4j.optimizer.learning-rate");
      }
      return new Outcome(lr, norm, true);
    }
    badInARow = 0;
    adamw.update(params, grads, lr);
    return new Outcome(lr, norm, false);
  }

  /** Updates skipped so far because they were not finite. */
  public long skipped() {
    return skippedTotal;
  }

  /** Non-finite updates in a row just before now: the run stops at rlhf4j.optimizer's limit. */
  public int badInARow() {
    return badInARow;
  }

  /** Puts back the counts of skipped updates, as saved with the moments, for a resumed run. */
  public void restoreCounts(int badInARow, long skipped) {
    if (badInARow < 0 || skipped < badInARow) {
      throw new IllegalArgumentException("bad counts: " + badInARow + " in a row, " + skipped
          + " in all");
    }
    this.badInARow = badInARow;
    this.skippedTotal = skipped;
  }

  public AdamW adamw() {
    return adamw;
  }
}
