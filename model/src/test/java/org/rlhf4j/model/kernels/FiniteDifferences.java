package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Central finite differences in double against an analytic gradient, printing the largest error. */
public final class FiniteDifferences {
  private static final double STEP = 1e-6;

  private FiniteDifferences() {}

  /**
   * Checks {@code analytic} = ∂loss/∂x for {@code samples} elements of {@code x} (all if
   * {@code samples} ≥ its length), perturbing x in place and restoring it.
   */
  public static void check(String name, INDArray x, INDArray analytic, DoubleSupplier loss,
      int samples, long seed, double tolerance) {
    if (x.dataType() != DataType.DOUBLE) {
      throw new IllegalArgumentException("finite differences need double precision");
    }
    INDArray flatX = x.reshape(x.length());
    INDArray flatG = analytic.reshape(analytic.length());
    SplittableRandom rng = new SplittableRandom(seed);
    long n = x.length();
    double worst = 0;
    long worstAt = -1;
    for (int s = 0; s < Math.min(samples, n); s++) {
      long i = samples >= n ? s : rng.nextLong(n);
      double original = flatX.getDouble(i);
      flatX.putScalar(i, original + STEP);
      double plus = loss.getAsDouble();
      flatX.putScalar(i, original - STEP);
      double minus = loss.getAsDouble();
      flatX.putScalar(i, original);
      double numeric = (plus - minus) / (2 * STEP);
      double exact = flatG.getDouble(i);
      double error = Math.abs(numeric - exact) / Math.max(1.0, Math.abs(numeric) + Math.abs(exact));
      if (error > worst) {
        worst = error;
        worstAt = i;
      }
    }
    System.out.printf("gradient check %-32s max error %.2e%n", name, worst);
    final long at = worstAt;
    final double w = worst;
    assertTrue(worst <= tolerance, () -> name + ": finite differences disagree at element " + at
        + " by " + w + " (analytic " + flatG.getDouble(at) + ")");
  }

  /** A seeded random double array. */
  public static INDArray random(long seed, double scale, long... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    double[] v = new double[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (rng.nextDouble() * 2 - 1) * scale;
    }
    return Nd4j.createFromArray(v).reshape(shape);
  }

  /** Σ out ⊙ weights: a scalar loss whose gradient with respect to out is {@code weights}. */
  public static double dot(INDArray out, INDArray weights) {
    return out.mul(weights).sumNumber().doubleValue();
  }
}
