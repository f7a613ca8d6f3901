package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
  void lanesSummedThroughMemoryAreTheVectorsSumBitForBit() {
    float[] x = inputs();
    for (int i = 0; i < x.length; i++) {
      x[i] = Float.isFinite(x[i]) ? x[i] : 1f; // a dot product's lanes: finite
    }
    int lanes = VectorMath.F.length();
    float[] stored = new float[lanes];
    for (int at = 0; at + lanes <= x.length; at += lanes) {
      jdk.incubator.vector.FloatVector v = jdk.incubator.vector.FloatVector.fromArray(VectorMath.F,
          x, at).mul(at % 7 == 0 ? 0f : -1f); // runs of -0 and of +0 too
      VectorMath.exact(v).intoArray(stored, 0);
      assertEquals(Float.floatToRawIntBits(VectorMath.sum(v)),
          Float.floatToRawIntBits(VectorMath.sumInOrder(stored)), "lanes from " + at);
    }
  }

  @Test
  void scalarExpAndTanhEqualTheVectorLanesBitForBit() {
    float[] x = inputs();
    INDArray e = Nd4j.createFromArray(x);
    INDArray t = Nd4j.createFromArray(x);
    float sum = VectorMath.expShifted(FloatMemory.of(e), FloatMemory.of(e), 0, x.length, 0f);
    VectorMath.tanhInPlace(FloatMemory.of(t), 0, x.length);
    float[] lanes = new float[VectorMath.F.length()];
    float expected = 0;
    for (int i = 0; i < x.length; i++) {
      float xi = x[i];
      assertEquals(Float.floatToIntBits(VectorMath.exp(xi)), Float.floatToIntBits(e.getFloat(i)),
          "exp(" + xi + ")");
      assertEquals(Float.floatToIntBits(VectorMath.tanh(xi)), Float.floatToIntBits(t.getFloat(i)),
          "tanh(" + xi + ")");
      lanes[i % lanes.length] += VectorMath.exp(xi);
    }
    for (float lane : lanes) {
      expected += lane;
    }
    assertEquals(expected, sum, "the sum of the exps, lane by lane in order");
  }

  @Test
  void expShiftedSubtractsTheShiftFirst() {
    float[] x = {1f, 2f, 3f, 90f, 91f, 92f, 0f, -1f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 89f};
    int n = VectorMath.F.length(); // one vector of 4, 8 or 16 lanes
    INDArray in = Nd4j.createFromArray(x);
    INDArray out = Nd4j.create(DataType.FLOAT, x.length);
    VectorMath.expShifted(FloatMemory.of(in), FloatMemory.of(out), 0, n, 90f);
    for (int i = 0; i < n; i++) {
      assertEquals(Float.floatToIntBits(VectorMath.exp(x[i] - 90f)),
          Float.floatToIntBits(out.getFloat(i)), "e^(" + x[i] + " - 90)");
      assertEquals(x[i], in.getFloat(i), "the input is left as it was");
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
