package org.rlhf4j.learner.eval;

/** 95% confidence intervals: normal approximation for a mean, Wilson's for a proportion. */
public final class Statistics {
  /** The 97.5% quantile of the standard normal distribution, Φ⁻¹(0.975). */
  public static final double Z95 = 1.959963984540054;

  private Statistics() {}

  /**
   * The mean of {@code values} with {@code mean ± Z95 · s / √n}, {@code s} the sample standard
   * deviation (divisor n − 1). This normal approximation is what eval tables quote; it is fair
   * once n is in the tens, and too narrow for a handful of heavy-tailed values. With one value
   * the bounds are NaN: a single observation says nothing about the spread.
   */
  public static MeanInterval meanInterval(double[] values) {
    int n = values.length;
    if (n == 0) {
      throw new IllegalArgumentException("the mean of no values is undefined");
    }
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    double mean = sum / n;
    if (n == 1) {
      return new MeanInterval(mean, Double.NaN, Double.NaN, 1);
    }
    // two passes: Σ(x − mean)² keeps the digits that Σx² − n·mean² would cancel
    double squares = 0;
    for (double v : values) {
      squares += (v - mean) * (v - mean);
    }
    double half = Z95 * Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
    return new MeanInterval(mean, mean - half, mean + half, n);
  }

  /**
   * The proportion {@code successes / trials} with the Wilson score interval (Wilson, 1927):
   * {@code (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)}. Unlike {@code p ± z·√(p(1−p)/n)}
   * it stays inside [0, 1] and does not collapse to a point at 0 or n successes, which is
   * where win rates and accuracies of good models live. {@code successes} may be fractional
   * (a tie counted as half a win).
   */
  public static MeanInterval wilson(double successes, int trials) {
    if (trials < 1) {
      throw new IllegalArgumentException("a proportion needs at least one trial, got " + trials);
    }
    if (!(successes >= 0 && successes <= trials)) {
      throw new IllegalArgumentException("successes must lie in [0, " + trials + "], got "
          + successes);
    }
    double p = successes / trials;
    double z2 = Z95 * Z95;
    double denominator = 1 + z2 / trials;
    double centre = (p + z2 / (2.0 * trials)) / denominator;
    double half = Z95 * Math.sqrt(p * (1 - p) / trials + z2 / (4.0 * trials * trials))
        / denominator;
    // at 0 or n successes a bound is exactly 0 or 1; rounding would leave it a hair inside
    double low = successes == 0 ? 0 : Math.max(0, centre - half);
    double high = successes == trials ? 1 : Math.min(1, centre + half);
    return new MeanInterval(p, low, high, trials);
  }

  /**
   * The ratio {@code R = Σ y_i / Σ x_i} of two totals over n clusters (e.g. real words / words,
   * summed per completion), with the linearisation (delta-method) interval for a ratio estimator
   * (Cochran, Sampling Techniques, 1977, §6.4): {@code R ± Z95 · √(Σ (y_i − R x_i)² / (n (n − 1)))
   * / x̄}, {@code x̄ = Σ x_i / n}. Words of one completion are not independent draws, so the
   * clusters, not the words, are the observations; a binomial interval over the words would be
   * too narrow. The count is {@code Σ x_i} rounded. With one cluster the bounds are NaN.
   *
   * @throws IllegalArgumentException when the lengths differ, there are no clusters, or
   *     {@code Σ x_i} is not positive (the ratio is undefined)
   */
  public static MeanInterval ratioInterval(double[] numerators, double[] denominators) {
    int n = numerators.length;
    if (n != denominators.length) {
      throw new IllegalArgumentException("a ratio needs as many numerators as denominators, got "
          + n + " and " + denominators.length);
    }
    double y = 0;
    double x = 0;
    for (int i = 0; i < n; i++) {
      y += numerators[i];
      x += denominators[i];
    }
    if (!(x > 0)) {
      throw new IllegalArgumentException("a ratio needs a positive total denominator, got " + x
          + " over " + n + " clusters");
    }
    double ratio = y / x;
    int count = (int) Math.max(1, Math.round(x));
    if (n == 1) {
      return new MeanInterval(ratio, Double.NaN, Double.NaN, count);
    }
    double squares = 0;
    for (int i = 0; i < n; i++) {
      double residual = numerators[i] - ratio * denominators[i];
      squares += residual * residual;
    }
    double half = Z95 * Math.sqrt(squares / ((double) n * (n - 1))) / (x / n);
    return new MeanInterval(ratio, ratio - half, ratio + half, count);
  }
}
