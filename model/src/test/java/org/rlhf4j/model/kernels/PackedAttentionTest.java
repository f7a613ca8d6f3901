package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Attention read straight from packed rows agrees with the heads-first reference under any mask,
 * including rows whose last visible key comes before others' and keys hidden in between, and gives
 * the same bits before and after the JIT compiles it.
 */
class PackedAttentionTest {
  private final Kernels fast = new VectorKernels();
  private final Kernels reference = new Nd4jKernels();

  private static INDArray random(long seed, long... shape) {
    return FiniteDifferences.random(seed, 1, shape).castTo(DataType.FLOAT);
  }

  /** Each key visible with probability 0.6, and one random key of each row always. */
  private static INDArray scatteredMask(long seed, int b, int nh, int t) {
    Random rng = new Random(seed);
    float[] m = new float[b * nh * t * t];
    for (int row = 0; row < b * nh * t; row++) {
      int always = rng.nextInt(t);
      for (int j = 0; j < t; j++) {
        boolean visible = j == always || rng.nextDouble() < 0.6;
        m[row * t + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
      }
    }
    return Nd4j.createFromArray(m).reshape(b, nh, t, t);
  }

  private static double maxDiff(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }

  /**
   * Lengths that leave 1, 2, 3 and 0 queries for a last group of four; head widths that take
   * every column path at 8 and at 16 lanes (four-, two- and one-vector blocks, scalar tails).
   */
  @ParameterizedTest(name = "T {0}, HS {1}")
  @CsvSource({"21, 12", "22, 72", "23, 40", "24, 8", "25, 56"})
  void anyMaskAgreesWithTheHeadsFirstReference(int t, int hs) {
    int b = 2;
    int nh = 3;
    assertTrue(PackedAttention.fits(t, hs));
    INDArray qkv = random(1, (long) b * t, 3L * nh * hs);
    INDArray mask = scatteredMask(2, b, nh, t);
    INDArray yRef = Nd4j.create(DataType.FLOAT, (long) b * t, (long) nh * hs);
    INDArray yGot = yRef.ulike();
    INDArray attRef = Nd4j.create(DataType.FLOAT, b, nh, t, t);
    INDArray attGot = attRef.ulike();
    reference.packedAttentionForward(yRef, attRef, qkv, mask, nh);
    fast.packedAttentionForward(yGot, attGot, qkv, mask, nh);
    assertTrue(maxDiff(attRef, attGot) <= 1e-6, "probabilities differ by " + maxDiff(attRef, attGot));
    assertTrue(maxDiff(yRef, yGot) <= 1e-5, "outputs differ by " + maxDiff(yRef, yGot));

    INDArray dy = random(3, (long) b * t, (long) nh * hs);
    INDArray dqkvRef = random(4, (long) b * t, 3L * nh * hs);
    INDArray dqkvGot = dqkvRef.dup();
    reference.packedAttentionBackward(dqkvRef, dy, qkv, attRef, mask, nh);
    fast.packedAttentionBackward(dqkvGot, dy, qkv, attGot, mask, nh);
    assertTrue(maxDiff(dqkvRef, dqkvGot) <= 1e-5, "gradients differ by " + maxDiff(dqkvRef, dqkvGot));
  }

  @Test
  void probabilitiesNotKeptAreComputedAgainBitForBit() {
    int b = 2;
    int nh = 3;
    int t = 19;
    int hs = 10;
    INDArray qkv = random(8, (long) b * t, 3L * nh * hs);
    INDArray mask = scatteredMask(9, b, nh, t);
    INDArray dy = random(10, (long) b * t, (long) nh * hs);
    INDArray kept = Nd4j.create(DataType.FLOAT, b, nh, t, t);
    INDArray yKept = Nd4j.create(DataType.FLOAT, (long) b * t, (long) nh * hs);
    INDArray yDropped = yKept.ulike();
    fast.packedAttentionForward(yKept, kept, qkv, mask, nh);
    fast.packedAttentionForward(yDropped, null, qkv, mask, nh);
    assertArrayEquals(yKept.reshape(-1).toFloatVector(), yDropped.reshape(-1).toFloatVector());

    INDArray dqkvKept = random(11, (long) b * t, 3L * nh * hs);
    INDArray dqkvAgain = dqkvKept.dup();
    fast.packedAttentionBackward(dqkvKept, dy, qkv, kept, mask, nh);
    fast.packedAttentionBackward(dqkvAgain, dy, qkv, null, mask, nh);
    assertArrayEquals(dqkvKept.reshape(-1).toFloatVector(),
        dqkvAgain.reshape(-1).toFloatVector());
    // and the reference path agrees without kept probabilities too
    INDArray yRef = yKept.ulike();
    reference.packedAttentionForward(yRef, null, qkv, mask, nh);
    assertTrue(maxDiff(yRef, yDropped) <= 1e-5, "outputs differ by " + maxDiff(yRef, yDropped));
  }

  @Test
  void compiledCodeGivesTheInterpretedBits() {
    int b = 1;
    int nh = 2;
    int t = 37;
    int hs = 11;
    INDArray qkv = random(5, (long) b * t, 3L * nh * hs);
    INDArray mask = scatteredMask(6, b, nh, t);
    INDArray dy = random(7, (long) b * t, (long) nh * hs);
    java.util.function.Supplier<float[]> run = () -> {
      INDArray y = Nd4j.create(DataType.FLOAT, (long) b * t, (long) nh * hs);
      INDArray att = Nd4j.create(DataType.FLOAT, b, nh, t, t);
      INDArray dqkv = Nd4j.zeros(DataType.FLOAT, (long) b * t, 3L * nh * hs);
      fast.packedAttentionForward(y, att, qkv, mask, nh);
      fast.packedAttentionBackward(dqkv, dy, qkv, att, mask, nh);
      return Nd4j.concat(0, y.reshape(-1), att.reshape(-1), dqkv.reshape(-1)).toFloatVector();
    };
    float[] cold = run.get();
    float[] warm = cold;
    for (int i = 0; i < 3000; i++) {
      warm = run.get();
    }
    assertArrayEquals(cold, warm, "results changed once the kernels were compiled");
  }
}
