package org.rlhf4j.learner.rl;

/** The KL-penalty coefficient β, fixed or adaptive (Ziegler et al. 2019); mutable. */
public final class KlController {
  private static final double MAX_PROPORTIONAL_ERROR = 0.2;

  private final boolean adaptive;
  private final double target;
  private final double horizon;
  private double value;

  private KlController(boolean adaptive, double value, double target, double horizon) {
    this.adaptive = adaptive;
    this.value = value;
    this.target = target;
    this.horizon = horizon;
  }

  /** Sets the coefficient, as saved in a checkpoint, so a resumed run continues from it. */
  public void reset(double coef) {
    requireCoefficient(coef);
    this.value = coef;
  }

  /** A coefficient that {@link #update} leaves unchanged. */
  public static KlController fixed(double coef) {
    requireCoefficient(coef);
    return new KlController(false, coef, Double.NaN, Double.NaN);
  }

  /**
   * A coefficient that starts at {@code initCoef} and moves towards keeping the sequence KL at
   * {@code target}, by at most 20% per {@code horizon} steps: TRL's {@code AdaptiveKLController}.
   */
  public static KlController adaptive(double initCoef, double target, double horizon) {
    requireCoefficient(initCoef);
    if (!(target > 0) || Double.isInfinite(target)) {
      throw new IllegalArgumentException("adaptive KL target must be positive and finite, got "
          + target);
    }
    if (!(horizon > 0) || Double.isInfinite(horizon)) {
      throw new IllegalArgumentException("adaptive KL horizon must be positive and finite, got "
          + horizon);
    }
    return new KlController(true, initCoef, target, horizon);
  }

  /** The current coefficient β. */
  public double value() {
    return value;
  }

  /** Whether {@link #update} changes the coefficient. */
  public boolean isAdaptive() {
    return adaptive;
  }

  /**
   * After {@code nSteps} samples with mean sequence KL {@code currentKl}:
   * {@code e = clip(currentKl/target − 1, −0.2, 0.2)}, {@code β ← β·(1 + e·nSteps/horizon)}.
   * A fixed controller only checks its arguments.
   */
  public void update(double currentKl, long nSteps) {
    if (!Double.isFinite(currentKl)) {
      throw new IllegalArgumentException("current KL must be finite, got " + currentKl);
    }
    if (nSteps < 0) {
      throw new IllegalArgumentException("nSteps must not be negative, got " + nSteps);
    }
    if (!adaptive) {
      return;
    }
    // the clip bounds each update, so one noisy KL estimate cannot swing β far
    double error = Math.max(-MAX_PROPORTIONAL_ERROR,
        Math.min(MAX_PROPORTIONAL_ERROR, currentKl / target - 1.0));
    value *= 1.0 + error * nSteps / horizon;
  }

  @Override
  public String toString() {
    return adaptive ? "KlController.adaptive(value=" + value + ", target=" + target + ", horizon="
        + horizon + ")" : "KlController.fixed(" + value + ")";
  }

  private static void requireCoefficient(double coef) {
    if (!(coef >= 0) || Double.isInfinite(coef)) {
      throw new IllegalArgumentException("KL coefficient must be finite and >= 0, got " + coef);
    }
  }
}
