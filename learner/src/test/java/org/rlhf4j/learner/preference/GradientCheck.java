package org.rlhf4j.learner.preference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;

/** Central finite differences in double against an analytic gradient, printing the worst error. */
final class GradientCheck {
  private static final double STEP = 1e-6;
  private static final double TOLERANCE = 1e-7;

  private GradientCheck() {}

  /** Checks {@code analytic} = ∂loss/∂x element by element, perturbing x in place. */
  static void check(String name, double[] x, double[] analytic, DoubleSupplier loss) {
    double worst = 0;
    int worstAt = -1;
    for (int i = 0; i < x.length; i++) {
      double original = x[i];
      x[i] = original + STEP;
      double plus = loss.getAsDouble();
      x[i] = original - STEP;
      double minus = loss.getAsDouble();
      x[i] = original;
      double numeric = (plus - minus) / (2 * STEP);
      // relative once the slope exceeds 1, so large and small slopes are held to the same digits
      double scale = Math.max(1.0, Math.abs(numeric) + Math.abs(analytic[i]));
      double error = Math.abs(numeric - analytic[i]) / scale;
      if (error > worst || worstAt < 0) {
        worst = error;
        worstAt = i;
      }
    }
    System.out.printf("gradient check %-36s max error %.2e%n", name, worst);
    int at = worstAt;
    double w = worst;
    assertTrue(worst <= TOLERANCE, () -> name + ": finite differences disagree at element " + at
        + " by " + w + " (analytic " + analytic[at] + ")");
  }
}
