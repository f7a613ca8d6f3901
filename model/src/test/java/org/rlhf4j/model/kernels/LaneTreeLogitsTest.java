package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A few rows' decode logits: each element as sixteen lane chains added as a tree, bit for bit, and
 * through the kernels always ND4J's bits, from the lane-packed embedding only where ND4J's first
 * product of the shape showed that order.
 */
class LaneTreeLogitsTest {
  private static final int LANES = LaneTreeLogits.LANES;
  private final Kernels fast = new VectorKernels();

  @BeforeEach
  void sixteenLanes() {
    assumeTrue(FloatVector.SPECIES_PREFERRED.length() == LANES, "the order of 16-lane hosts");
    LaneTreeLogits.forget();
  }

  @AfterEach
  void forgetVerdicts() {
    LaneTreeLogits.forget();
  }

  private static INDArray random(long seed, long... shape) {
    return FiniteDifferences.random(seed, 1, shape).castTo(DataType.FLOAT);
  }

  /** What the order promises, one element at a time: lane chains from zero, then the tree. */
  private static float[] laneTree(float[] x, float[] w, int rows, int k, int n) {
    float[] out = new float[rows * n];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < n; c++) {
        float[] lane = new float[LANES];
        for (int i = 0; i < k; i++) {
          lane[i % LANES] = Math.fma(x[r * k + i], w[c * k + i], lane[i % LANES]);
        }
        float[] s8 = new float[8];
        for (int l = 0; l < 8; l++) {
          s8[l] = lane[l] + lane[l + 8];
        }
        float[] s4 = {s8[0] + s8[4], s8[1] + s8[5], s8[2] + s8[6], s8[3] + s8[7]};
        out[r * n + c] = (s4[0] + s4[2]) + (s4[1] + s4[3]);
      }
    }
    return out;
  }

  private static float[] floats(INDArray a) {
    return a.reshape(-1).toFloatVector();
  }

  @Test
  void eachLogitIsSixteenLaneChainsAddedAsATree() {
    // 85 columns: two blocks of two vectors, one of one vector, five past the last vector
    for (int n : new int[] {85, 64}) {
      for (int k : new int[] {16, 48, 128}) {
        INDArray w = random(n + k, n, k);
        LaneTreeLogits.Packed packed = LaneTreeLogits.pack(FloatMemory.of(w), n, k, null);
        for (int rows : new int[] {2, 3, 4, 5, 7, 8, 13, 15}) {
          INDArray x = random(rows, rows, k);
          INDArray out = Nd4j.create(DataType.FLOAT, rows, n);
          LaneTreeLogits.forward(FloatMemory.of(out), FloatMemory.of(x), FloatMemory.of(w), packed,
              rows);
          assertArrayEquals(laneTree(floats(x), floats(w), rows, k, n), floats(out),
              rows + " rows, k " + k + ", n " + n);
        }
      }
    }
  }

  @Test
  void decodeLogitsAreNd4jsAndComeFromTheLanesWhereNd4jSumsSo() {
    int k = 128;
    int n = 8192 + LANES + 5;
    INDArray embedding = random(7, n, k);
    for (int rows = 2; rows < VectorKernels.PACKED_HEAD_ROWS; rows++) {
      INDArray x = random(100 + rows, rows, k);
      INDArray nd4j = Nd4j.create(DataType.FLOAT, rows, n);
      new Nd4jKernels().matmulTransposedForward(nd4j, x, embedding);
      boolean nd4jSumsSo = Arrays.equals(laneTree(floats(x), floats(embedding), rows, k, n),
          floats(nd4j));
      FrozenWeights frozen = new FrozenWeights();
      assertArrayEquals(floats(nd4j), frozenLogits(frozen, x, embedding), rows + " rows, first");
      assertEquals(nd4jSumsSo, LaneTreeLogits.agreesWithNd4j(rows, k, n), rows + " rows learned");
      assertArrayEquals(floats(nd4j), frozenLogits(frozen, x, embedding), rows + " rows, then");
      assertEquals(nd4jSumsSo ? 1 : 0, frozen.packedCount(), rows + " rows: packed once if so");
    }
  }

  @Test
  void aShapeWhoseFirstProductDisagreedStaysWithNd4j() {
    int rows = 8;
    int k = 32;
    int n = 40;
    INDArray embedding = random(8, n, k);
    INDArray x = random(9, rows, k);
    INDArray nd4j = Nd4j.create(DataType.FLOAT, rows, n);
    new Nd4jKernels().matmulTransposedForward(nd4j, x, embedding);
    INDArray offByOneUlp = nd4j.dup();
    offByOneUlp.putScalar(3, Math.nextUp(offByOneUlp.getFloat(3)));
    FloatMemory w = FloatMemory.of(embedding);
    assertFalse(LaneTreeLogits.learn(FloatMemory.of(offByOneUlp), FloatMemory.of(x), w,
        LaneTreeLogits.pack(w, n, k, null), rows), "one element's last bit decides");
    assertFalse(LaneTreeLogits.learn(FloatMemory.of(nd4j), FloatMemory.of(x), w,
        LaneTreeLogits.pack(w, n, k, null), rows), "a disagreement once is kept");
    FrozenWeights frozen = new FrozenWeights();
    assertArrayEquals(floats(nd4j), frozenLogits(frozen, x, embedding));
    assertEquals(0, frozen.packedCount(), "nothing packed for a shape left to ND4J");
  }

  @Test
  void aClearedCopyIsPackedAgainFromTheChangedEmbedding() {
    int rows = 4;
    int k = 32;
    int n = 48;
    INDArray embedding = random(10, n, k);
    INDArray x = random(11, rows, k);
    FrozenWeights frozen = new FrozenWeights();
    LaneTreeLogits.Packed first = frozen.lanePacked(embedding, FloatMemory.of(embedding), n, k);
    frozen.clear();
    embedding.muli(1.5); // in place, as training changes the weights between generations
    LaneTreeLogits.Packed again = frozen.lanePacked(embedding, FloatMemory.of(embedding), n, k);
    assertSame(first.data, again.data, "the cleared copy's memory serves again");
    INDArray out = Nd4j.create(DataType.FLOAT, rows, n);
    LaneTreeLogits.forward(FloatMemory.of(out), FloatMemory.of(x), FloatMemory.of(embedding),
        again, rows);
    assertArrayEquals(laneTree(floats(x), floats(embedding), rows, k, n), floats(out));
  }

  private float[] frozenLogits(FrozenWeights frozen, INDArray x, INDArray embedding) {
    return FewRowMatmulTest.decodeLogits(fast, frozen, x, embedding);
  }
}
