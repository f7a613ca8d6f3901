package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A decode-sized product gives each element as one fused multiply-add chain over k from zero, then
 * the bias: bit for bit, for every row count and column tail, interpreted and compiled.
 */
class FewRowMatmulTest {
  private static final int LANES = FloatVector.SPECIES_PREFERRED.length();
  private static final int K = 37;
  // two panels of three vectors, one single vector, then five scalar columns
  private static final int N = 2 * 3 * LANES + LANES + 5;
  private final Kernels fast = new VectorKernels();

  private static INDArray random(long seed, long... shape) {
    return FiniteDifferences.random(seed, 1, shape).castTo(DataType.FLOAT);
  }

  /** What the kernel promises, computed one element at a time. */
  private static float[] fmaChains(float[] x, float[] w, float[] bias, int rows) {
    float[] out = new float[rows * N];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < N; c++) {
        float acc = 0f;
        for (int i = 0; i < K; i++) {
          acc = Math.fma(w[i * N + c], x[r * K + i], acc);
        }
        out[r * N + c] = bias == null ? acc : acc + bias[c];
      }
    }
    return out;
  }

  private float[] product(INDArray inp, INDArray w, INDArray bias) {
    INDArray out = Nd4j.create(DataType.FLOAT, inp.size(0), N);
    fast.matmulForward(out, inp, w, bias);
    return out.reshape(-1).toFloatVector();
  }

  @Test
  void everyRowCountGivesTheChainsBitForBit() {
    INDArray w = random(2, K, N);
    INDArray bias = random(3, N);
    for (int rows = 1; rows <= 9; rows++) {
      INDArray inp = random(10 + rows, rows, K);
      float[] x = inp.reshape(-1).toFloatVector();
      assertArrayEquals(fmaChains(x, w.reshape(-1).toFloatVector(), bias.toFloatVector(), rows),
          product(inp, w, bias), rows + " rows with a bias");
      assertArrayEquals(fmaChains(x, w.reshape(-1).toFloatVector(), null, rows),
          product(inp, w, null), rows + " rows without a bias");
    }
  }

  @Test
  void aRowsResultDoesNotDependOnTheRowsBesideIt() {
    INDArray w = random(4, K, N);
    INDArray nine = random(5, 9, K);
    float[] together = product(nine, w, null);
    for (int r = 0; r < 9; r++) {
      float[] alone = product(nine.getRow(r).reshape(1, K).dup(), w, null);
      for (int c = 0; c < N; c++) {
        assertEquals(Float.floatToIntBits(alone[c]), Float.floatToIntBits(together[r * N + c]),
            "row " + r + " column " + c);
      }
    }
  }

  @Test
  void theCompiledKernelGivesTheInterpretedResult() {
    INDArray w = random(6, K, N);
    INDArray bias = random(7, N);
    INDArray inp = random(8, 6, K);
    float[] cold = product(inp, w, bias);
    float[] warm = cold;
    for (int i = 0; i < 5000; i++) {
      warm = product(inp, w, bias);
    }
    assertArrayEquals(cold, warm);
  }
}
