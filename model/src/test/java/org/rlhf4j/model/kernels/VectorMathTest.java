package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The deterministic exp and tanh: accuracy, and scalar tails equal to the vector lanes. */
class VectorMathTest {
  private static float[] inputs() {
    SplittableRandom rng = new SplittableRandom(5);
    int lanes = VectorMath.F.length();
    float[] x = new float[lanes * 400];
    float[] edges = {0f, -0f, 1e-30f, -1e-30f, 1f, -1f, 88.3f, 88.5f, 200f, -87.3f, -87.4f, -200f,
        Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0.34657359f, -0.34657359f};
    System.arraycopy(edges, 0, x, 0, edges.length);
    for (int i = edges.length; i < x.length; i++) {
      x[i] = (float) (rng.nextDouble() * 180 - 90);
      if (i % 3 == 0) {
        x[i] /= 30; // many in the range activations live in
      }
    }
    return x;
  }

  @Test
  void scalarExpAndTanhEqualTheVectorLanesBitForBit() {
    float[] x = inputs();
    int lanes = VectorMath.F.length();
    for (int i = 0; i < x.length; i += lanes) {
      FloatVector v = FloatVector.fromArray(VectorMath.F, x, i);
      float[] e = VectorMath.exp(v).toArray();
      float[] t = VectorMath.tanh(v).toArray();
      for (int k = 0; k < lanes; k++) {
        float xi = x[i + k];
        assertEquals(Float.floatToIntBits(e[k]), Float.floatToIntBits(VectorMath.exp(xi)),
            "exp(" + xi + ")");
        assertEquals(Float.floatToIntBits(t[k]), Float.floatToIntBits(VectorMath.tanh(xi)),
            "tanh(" + xi + ")");
      }
    }
  }

  @Test
  void expIsWithinAFewUlpAndTanhWithinTwoFloatUlpsOfOne() {
    for (float xi : inputs()) {
      double exact = Math.exp(xi);
      float e = VectorMath.exp(xi);
      if (xi < -87.3365478515625f) {
        assertEquals(0f, e, "exp(" + xi + ") underflows to 0");
      } else if (xi <= 88.3762626647949f) {
        assertTrue(Math.abs(e - exact) <= 3 * Math.ulp((float) exact), "exp(" + xi + ") = " + e
            + ", exact " + exact);
      }
      assertTrue(Math.abs(VectorMath.tanh(xi) - Math.tanh(xi)) < 2.5e-7, "tanh(" + xi + ")");
    }
  }
}
