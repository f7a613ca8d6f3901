package org.rlhf4j.learner.eval;

/**
 * An estimate with its 95% confidence interval {@code [low, high]} from {@code count} observations.
 *
 * <p>For a mean the interval is symmetric; for a proportion (Wilson) it is not, and {@code mean}
 * is the observed proportion. Bounds are NaN when one observation cannot give a spread.
 */
public record MeanInterval(double mean, double low, double high, int count) {

  public MeanInterval {
    if (count < 1) {
      throw new IllegalArgumentException("an estimate needs at least one observation, got "
          + count);
    }
    if (low > high) {
      throw new IllegalArgumentException("interval low " + low + " is above high " + high);
    }
  }

  /** Whether {@code value} lies in the closed interval (never, when the bounds are NaN). */
  public boolean contains(double value) {
    return low <= value && value <= high;
  }
}
