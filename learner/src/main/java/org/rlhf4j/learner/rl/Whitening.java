package org.rlhf4j.learner.rl;

/** Masked mean, variance and whitening over a batch's real tokens, as TRL's masked_whiten. */
public final class Whitening {
  /** Added to the variance under the square root, as TRL does, so constant input stays finite. */
  public static final double EPS = 1e-8;

  private Whitening() {}

  /** {@code Σ mask·x / Σ mask}; the mask holds 0 and 1 and has at least one 1. */
  public static double maskedMean(double[] values, double[] mask) {
    return mean(values, mask, requireMatching(values, mask));
  }

  /**
   * Variance of the masked values; {@code unbiased} multiplies by n/(n−1) (Bessel), as TRL's
   * {@code masked_var} does by default, and then needs at least two real tokens.
   */
  public static double maskedVariance(double[] values, double[] mask, boolean unbiased) {
    int n = requireMatching(values, mask);
    return variance(values, mask, n, mean(values, mask, n), unbiased);
  }

  /**
   * {@code out = (x − mean)/√(var + EPS)}, plus {@code mean} again when {@code shiftMean} is false,
   * on real tokens (unbiased variance over all real tokens of the batch); padding gets 0, as TRL's
   * callers fill it after {@code masked_whiten}. {@code out} may be {@code values}.
   */
  public static void whiten(double[] out, double[] values, double[] mask, boolean shiftMean) {
    int n = requireMatching(values, mask);
    if (out == null || out.length != values.length) {
      throw new IllegalArgumentException("whitening output needs " + values.length
          + " values, got " + (out == null ? "null" : out.length));
    }
    double mean = mean(values, mask, n);
    double var = variance(values, mask, n, mean, true);
    double rstd = 1.0 / Math.sqrt(var + EPS);
    double shift = shiftMean ? 0.0 : mean;
    for (int i = 0; i < values.length; i++) {
      out[i] = mask[i] != 0.0 ? (values[i] - mean) * rstd + shift : 0.0;
    }
  }

  private static double mean(double[] values, double[] mask, int n) {
    if (n == 0) {
      throw new IllegalArgumentException(
          "masked mean needs at least one real token, the mask has none");
    }
    double sum = 0;
    for (int i = 0; i < values.length; i++) {
      if (mask[i] != 0.0) {
        sum += values[i];
      }
    }
    return sum / n;
  }

  private static double variance(double[] values, double[] mask, int n, double mean,
      boolean unbiased) {
    if (unbiased && n < 2) {
      throw new IllegalArgumentException(
          "unbiased masked variance needs at least two real tokens, mask has " + n);
    }
    // two passes: subtracting the mean first avoids the cancellation of E[x²] − E[x]²
    double sumSq = 0;
    for (int i = 0; i < values.length; i++) {
      if (mask[i] != 0.0) {
        double d = values[i] - mean;
        sumSq += d * d;
      }
    }
    return sumSq / (unbiased ? n - 1 : n);
  }

  private static int requireMatching(double[] values, double[] mask) {
    if (values == null || mask == null) {
      throw new IllegalArgumentException("values and mask must not be null");
    }
    if (values.length != mask.length) {
      throw new IllegalArgumentException("values has " + values.length + " entries but mask has "
          + mask.length);
    }
    int n = 0;
    for (double m : mask) {
      if (m == 1.0) {
        n++;
      } else if (m != 0.0) {
        throw new IllegalArgumentException("mask must hold only 0 and 1, got " + m);
      }
    }
    return n;
  }
}
