package org.rlhf4j.cli.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Numbers as a report prints them: integers whole, others to at most four significant digits. */
final class Decimals {
  private static final MathContext FOUR_DIGITS = new MathContext(4);

  private Decimals() {}

  /**
   * {@code 200}, {@code 0.35}, {@code 0.4322} (for 0.43215), {@code 12.35}, {@code 1.235e-05};
   * non-finite values as Java prints them.
   */
  static String format(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    double magnitude = Math.abs(v);
    if (magnitude >= 1e-4 && magnitude < 1e6) {
      // valueOf: the shortest decimal that reads back as v, so 0.35 stays 0.35, not 0.3500
      return BigDecimal.valueOf(v).round(FOUR_DIGITS).toPlainString();
    }
    return String.format(Locale.ROOT, "%.3e", v);
  }
}
