package org.rlhf4j.learner.rl;

/** Per-token estimators of KL(π‖π_ref) (Schulman, "Approximating KL divergence", 2020). */
public enum KlEstimator {
  /** {@code k1 = −r = logp − logpRef}: unbiased, high variance, can be negative per token. */
  K1 {
    @Override
    public double value(double logp, double logpRef) {
      return logp - logpRef;
    }
  },
  /** {@code k2 = r²/2}: biased but low variance, never negative. */
  K2 {
    @Override
    public double value(double logp, double logpRef) {
      double r = logpRef - logp;
      return 0.5 * r * r;
    }
  },
  /** {@code k3 = (eʳ − 1) − r}: unbiased and never negative. */
  K3 {
    @Override
    public double value(double logp, double logpRef) {
      double r = logpRef - logp;
      // expm1 keeps the digits that eʳ − 1 would cancel away when the policies are close
      return Math.expm1(r) - r;
    }
  };

  /**
   * The estimate for one token sampled from π, with log-probs {@code logp} under π and
   * {@code logpRef} under π_ref; the formulas above use {@code r = logpRef − logp}.
   */
  public abstract double value(double logp, double logpRef);
}
