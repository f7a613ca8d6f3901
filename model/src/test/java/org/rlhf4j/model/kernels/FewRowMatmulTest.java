package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

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
  // two panels of three vectors, one of two, five scalar columns; one of three, one of one, five
  private static final int[] WIDTHS = {2 * 3 * LANES + 2 * LANES + 5, 3 * LANES + LANES + 5};
  private final Kernels fast = new VectorKernels();

  private static INDArray random(long seed, long... shape) {
    return FiniteDifferences.random(seed, 1, shape).castTo(DataType.FLOAT);
  }

  /** What the kernel promises, computed one element at a time. */
  private static float[] fmaChains(float[] x, float[] w, float[] bias, int rows, int n) {
    float[] out = new float[rows * n];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < n; c++) {
        float acc = 0f;
        for (int i = 0; i < K; i++) {
          acc = Math.fma(w[i * n + c], x[r * K + i], acc);
        }
        out[r * n + c] = bias == null ? acc : acc + bias[c];
      }
    }
    return out;
  }

  private float[] product(INDArray inp, INDArray w, INDArray bias) {
    INDArray out = Nd4j.create(DataType.FLOAT, inp.size(0), w.size(1));
    fast.matmulForward(out, inp, w, bias);
    return out.reshape(-1).toFloatVector();
  }

  @Test
  void everyRowCountGivesTheChainsBitForBit() {
    for (int n : WIDTHS) {
      INDArray w = random(2, K, n);
      INDArray bias = random(3, n);
      for (int rows = 1; rows <= 9; rows++) {
        INDArray inp = random(10 + rows, rows, K);
        float[] x = inp.reshape(-1).toFloatVector();
        assertArrayEquals(fmaChains(x, w.reshape(-1).toFloatVector(), bias.toFloatVector(), rows,
            n), product(inp, w, bias), rows + " rows, " + n + " columns, with a bias");
        assertArrayEquals(fmaChains(x, w.reshape(-1).toFloatVector(), null, rows, n),
            product(inp, w, null), rows + " rows, " + n + " columns, without a bias");
      }
    }
  }

  @Test
  void aRowsResultDoesNotDependOnTheRowsBesideIt() {
    for (int n : WIDTHS) {
      INDArray w = random(4, K, n);
      INDArray nine = random(5, 9, K);
      float[] together = product(nine, w, null);
      for (int r = 0; r < 9; r++) {
        float[] alone = product(nine.getRow(r).reshape(1, K).dup(), w, null);
        for (int c = 0; c < n; c++) {
          assertEquals(Float.floatToIntBits(alone[c]), Float.floatToIntBits(together[r * n + c]),
              "row " + r + " column " + c + " of " + n);
        }
      }
    }
  }

  @Test
  void theCompiledKernelGivesTheInterpretedResult() {
    for (int n : WIDTHS) {
      INDArray w = random(6, K, n);
      INDArray bias = random(7, n);
      INDArray inp = random(8, 6, K);
      float[] cold = product(inp, w, bias);
      float[] warm = cold;
      for (int i = 0; i < 5000; i++) {
        warm = product(inp, w, bias);
      }
      assertArrayEquals(cold, warm, n + " columns");
    }
  }

  private float[] frozenProduct(FrozenWeights frozen, INDArray inp, INDArray w, INDArray bias) {
    FrozenWeights before = frozen.activate();
    try {
      return product(inp, w, bias);
    } finally {
      FrozenWeights.restore(before);
    }
  }

  @Test
  void weightsPackedOnceGiveTheChainsBitForBitForEveryRowCount() {
    FrozenWeights frozen = new FrozenWeights();
    for (int n : WIDTHS) {
      INDArray w = random(12, K, n);
      INDArray bias = random(13, n);
      // groups of eight, one of four and up to three single rows, up to the most rows taken
      for (int rows : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 19, 26,
          FewRowMatmul.MAX_ROWS}) {
        INDArray inp = random(20 + rows, rows, K);
        float[] x = inp.reshape(-1).toFloatVector();
        assertArrayEquals(fmaChains(x, w.reshape(-1).toFloatVector(), bias.toFloatVector(), rows,
            n), frozenProduct(frozen, inp, w, bias), rows + " rows, " + n + " columns, packed");
      }
    }
    assertEquals(WIDTHS.length, frozen.packedCount(), "each weight packed once");
  }

  @Test
  void frozenWeightsAboveTheSizeForPackingPerCallArePackedToo() {
    int n = FewRowMatmul.MAX_WEIGHTS / K + 2 * LANES + 1;
    INDArray w = random(14, K, n);
    INDArray inp = random(15, 5, K);
    FrozenWeights frozen = new FrozenWeights();
    assertArrayEquals(fmaChains(inp.reshape(-1).toFloatVector(), w.reshape(-1).toFloatVector(),
        null, 5, n), frozenProduct(frozen, inp, w, null));
    assertEquals(1, frozen.packedCount());
  }

  @Test
  void clearedCopiesAreNotReadAgainAndTheirMemoryServesTheNextWeights() {
    int n = WIDTHS[0];
    INDArray w = random(16, K, n);
    INDArray inp = random(17, 3, K);
    FrozenWeights frozen = new FrozenWeights();
    frozenProduct(frozen, inp, w, null);
    FewRowMatmul.Panels first = frozen.panels(w, FloatMemory.of(w), K, n);
    w.muli(2); // the weights change in place after a clear
    frozen.clear();
    assertEquals(0, frozen.packedCount());
    float[] got = frozenProduct(frozen, inp, w, null);
    assertArrayEquals(fmaChains(inp.reshape(-1).toFloatVector(), w.reshape(-1).toFloatVector(),
        null, 3, n), got, "the changed weights, not the old copy");
    assertSame(first.data, frozen.panels(w, FloatMemory.of(w), K, n).data,
        "the cleared copy's memory, packed again");
    // outside an activation, a product packs per call and keeps nothing
    product(inp, random(19, K, n), null);
    assertEquals(1, frozen.packedCount());
  }

  @Test
  void anEmbeddingPacksAsItsTransposeDoes() {
    for (int n : WIDTHS) {
      INDArray embedding = random(30, n, K); // (N, K): the tied output layer's weights
      INDArray transpose = embedding.transpose().dup('c');
      assertArrayEquals(FewRowMatmul.pack(FloatMemory.of(transpose), K, n, null).data,
          FewRowMatmul.packTransposed(FloatMemory.of(embedding), n, K, null).data, n + " rows");
    }
  }

  @Test
  void decodeLogitsReadThePackedTransposeFromSixteenRows() {
    int n = WIDTHS[0];
    INDArray embedding = random(31, n, K);
    float[] transposed = embedding.transpose().dup('c').reshape(-1).toFloatVector();
    for (int rows : new int[] {VectorKernels.PACKED_HEAD_ROWS, FewRowMatmul.MAX_ROWS}) {
      FrozenWeights frozen = new FrozenWeights();
      INDArray inp = random(32 + rows, rows, K);
      assertArrayEquals(fmaChains(inp.reshape(-1).toFloatVector(), transposed, null, rows, n),
          frozenHead(frozen, inp, embedding), rows + " rows: the packed chains, bit for bit");
      assertEquals(1, frozen.packedCount(), rows + " rows: the transpose packed once");
    }
    FrozenWeights frozen = new FrozenWeights();
    INDArray fewer = random(33, VectorKernels.PACKED_HEAD_ROWS - 1, K);
    INDArray viaMmul = Nd4j.create(DataType.FLOAT, fewer.size(0), n);
    new Nd4jKernels().matmulTransposedForward(viaMmul, fewer, embedding);
    assertArrayEquals(viaMmul.reshape(-1).toFloatVector(), frozenHead(frozen, fewer, embedding),
        "fewer rows: ND4J's product");
    assertEquals(0, frozen.packedCount(), "fewer rows pack nothing");
    INDArray asProduct = Nd4j.create(DataType.FLOAT, FewRowMatmul.MAX_ROWS, n);
    FrozenWeights before = frozen.activate();
    try {
      fast.matmulTransposedForward(asProduct, random(34, FewRowMatmul.MAX_ROWS, K), embedding);
    } finally {
      FrozenWeights.restore(before);
    }
    assertEquals(0, frozen.packedCount(), "other transposed products (LoRA's) pack nothing");
  }

  private float[] frozenHead(FrozenWeights frozen, INDArray inp, INDArray embedding) {
    return decodeLogits(fast, frozen, inp, embedding);
  }

  /** {@code kernels}' decode logits of {@code inp}, {@code frozen} the thread's active weights. */
  static float[] decodeLogits(Kernels kernels, FrozenWeights frozen, INDArray inp,
      INDArray embedding) {
    INDArray out = Nd4j.create(DataType.FLOAT, inp.size(0), embedding.size(0));
    FrozenWeights before = frozen.activate();
    try {
      kernels.decodeLogitsForward(out, inp, embedding);
    } finally {
      FrozenWeights.restore(before);
    }
    return out.reshape(-1).toFloatVector();
  }
}
