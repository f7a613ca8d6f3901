package org.rlhf4j.model;

/** The learning rate at each optimizer step (0-based): constant, or linear warm-up then decay. */
@FunctionalInterface
public interface LearningRateSchedule {
  double at(long step);

  static LearningRateSchedule constant(double lr) {
    return step -> lr;
  }

  /**
   * Linear warm-up from 0 to {@code peak} over {@code warmup} steps, then a cosine to
   * {@code peak · minRatio} at {@code total} steps, flat after (nanoGPT's schedule).
   */
  static LearningRateSchedule warmupCosine(double peak, long warmup, long total, double minRatio) {
    check(warmup, total, minRatio);
    return step -> {
      if (step < warmup) {
        return peak * (step + 1) / warmup;
      }
      if (step >= total) {
        return peak * minRatio;
      }
      double progress = (double) (step - warmup) / Math.max(1, total - warmup);
      double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
      return peak * (minRatio + (1 - minRatio) * cosine);
    };
  }

  /** Linear warm-up to {@code peak}, then linear decay to {@code peak · minRatio} at {@code total}. */
  static LearningRateSchedule warmupLinear(double peak, long warmup, long total, double minRatio) {
    check(warmup, total, minRatio);
    return step -> {
      if (step < warmup) {
        return peak * (step + 1) / warmup;
      }
      if (step >= total) {
        return peak * minRatio;
      }
      double progress = (double) (step - warmup) / Math.max(1, total - warmup);
      return peak * (1 - (1 - minRatio) * progress);
    };
  }

  private static void check(long warmup, long total, double minRatio) {
    if (warmup < 0 || total < warmup || minRatio < 0 || minRatio > 1) {
      throw new IllegalArgumentException("need 0 <= warmup <= total and minRatio in [0, 1], got "
          + warmup + ", " + total + ", " + minRatio);
    }
  }
}
