package org.rlhf4j.cli.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * Numbers as a report prints them: integers whole, others to at most four significant digits
 * (an interval's bounds to three, which is all a 95% interval's width warrants).
 */
final class Decimals {
  private Decimals() {}

  /**
   * {@code 200}, {@code 0.35}, {@code 0.4322} (for 0.43215), {@code 12.35}, {@code 1.235e-05};
   * non-finite values as Java prints them.
   */
  static String format(double v) {
    return format(v, 4);
  }

  /** {@code v} to at most {@code digits} significant digits, as {@link #format(double)}. */
  static String format(double v, int digits) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    double magnitude = Math.abs(v);
    if (magnitude >= 1e-4 && magnitude < 1e6) {
      // valueOf: the shortest decimal that reads back as v, so 0.35 stays 0.35, not 0.3500;
      // stripped, as Double.toString writes 6e-4 as 6.0E-4, which would print 0.00060
      return BigDecimal.valueOf(v).stripTrailingZeros().round(new MathContext(digits))
          .toPlainString();
    }
    return String.format(Locale.ROOT, "%." + (digits - 1) + "e", v);
  }
}
