package org.rlhf4j.learner.preference;

/** The logistic function and softplus in forms that neither overflow nor lose the small tail. */
final class Sigmoid {
  private Sigmoid() {}

  /** σ(x) = 1 / (1 + e^−x); the branch keeps the exponent ≤ 0 so e^|x| never overflows. */
  static double of(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  /**
   * softplus(x) = log(1 + e^x) = −log σ(−x), written max(x, 0) + log1p(e^−|x|): the naive form
   * overflows for x ≳ 710 and rounds log(1 + tiny) to 0 long before the true value vanishes.
   */
  static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** σ′(x) = σ(x)·σ(−x), both factors from the stable branch rather than σ(x)·(1 − σ(x)). */
  static double slope(double x) {
    return of(x) * of(-x);
  }
}
