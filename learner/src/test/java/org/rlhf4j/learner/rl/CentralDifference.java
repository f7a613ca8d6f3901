package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;

/** Central finite differences of a scalar function of an array, in double. */
final class CentralDifference {
  private CentralDifference() {}

  /** {@code (f(x + h·e_i) − f(x − h·e_i)) / 2h}, restoring {@code x[i]} afterwards. */
  static double derivative(double[] x, int i, double h, DoubleSupplier f) {
    double saved = x[i];
    x[i] = saved + h;
    double plus = f.getAsDouble();
    x[i] = saved - h;
    double minus = f.getAsDouble();
    x[i] = saved;
    return (plus - minus) / (2 * h);
  }

  /**
   * Checks every entry of {@code analytic} against the central difference of {@code f} in the
   * matching entry of {@code x}, printing the largest difference.
   */
  static void check(String what, double[] x, double[] analytic, DoubleSupplier f, double tol) {
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      double numeric = derivative(x, i, 1e-6, f);
      double diff = Math.abs(numeric - analytic[i]);
      worst = Math.max(worst, diff);
      assertTrue(diff <= tol, what + "[" + i + "]: analytic " + analytic[i] + " vs central "
          + "difference " + numeric);
    }
    System.out.printf("finite differences %-28s max diff %.2e%n", what, worst);
  }
}
