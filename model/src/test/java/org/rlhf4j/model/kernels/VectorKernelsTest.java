package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The fast path agrees with the reference kernels; widths are chosen to exercise the loop tails. */
class VectorKernelsTest {
  private final Kernels fast = new VectorKernels();
  private final Kernels reference = new Nd4jKernels();

  private static INDArray random(long seed, double scale, long... shape) {
    return FiniteDifferences.random(seed, scale, shape).castTo(DataType.FLOAT);
  }

  private static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
    double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber()
        .doubleValue();
    double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
    System.out.printf("vector vs reference %-14s max diff %.2e%n", what, diff);
    assertTrue(diff <= tol * scale, what + " differs by " + diff);
  }

  @Test
  void matmulWithBiasAgrees() {
    INDArray inp = random(1, 1, 7, 37);
    INDArray w = random(2, 1, 37, 53);
    INDArray b = random(3, 1, 53);
    INDArray expected = Nd4j.create(DataType.FLOAT, 7, 53);
    INDArray actual = Nd4j.create(DataType.FLOAT, 7, 53);
    reference.matmulForward(expected, inp, w, b);
    fast.matmulForward(actual, inp, w, b);
    assertClose("matmul", expected, actual, 1e-5);
    reference.matmulTransposedForward(expected.reshape(7, 53), inp, w.transpose().dup());
    fast.matmulTransposedForward(actual, inp, w.transpose().dup());
    assertClose("matmulT", expected, actual, 1e-5);
  }

  @Test
  void layerNormAgreesIncludingItsCache() {
    INDArray inp = random(4, 3, 9, 37).addi(2.0f);
    INDArray w = random(5, 1, 37);
    INDArray b = random(6, 1, 37);
    INDArray[] ref = {Nd4j.create(DataType.FLOAT, 9, 37), Nd4j.create(DataType.FLOAT, 9),
        Nd4j.create(DataType.FLOAT, 9)};
    INDArray[] got = {Nd4j.create(DataType.FLOAT, 9, 37), Nd4j.create(DataType.FLOAT, 9),
        Nd4j.create(DataType.FLOAT, 9)};
    reference.layerNormForward(ref[0], ref[1], ref[2], inp, w, b, 1e-5);
    fast.layerNormForward(got[0], got[1], got[2], inp, w, b, 1e-5);
    assertClose("layernorm", ref[0], got[0], 1e-5);
    assertClose("layernorm mean", ref[1], got[1], 1e-5);
    assertClose("layernorm rstd", ref[2], got[2], 1e-5);
  }

  @Test
  void geluAndSoftmaxAgree() {
    INDArray inp = random(7, 4, 5, 71);
    INDArray expected = Nd4j.create(DataType.FLOAT, 5, 71);
    INDArray actual = Nd4j.create(DataType.FLOAT, 5, 71);
    reference.geluForward(expected, inp);
    fast.geluForward(actual, inp);
    assertClose("gelu", expected, actual, 1e-6);
    reference.softmaxForward(expected, inp);
    fast.softmaxForward(actual, inp);
    assertClose("softmax", expected, actual, 1e-6);
  }

  @Test
  void maskedAttentionAgrees() {
    INDArray q = random(8, 1, 2, 3, 5, 8);
    INDArray k = random(9, 1, 2, 3, 19, 8);
    INDArray v = random(10, 1, 2, 3, 19, 8);
    double[] m = new double[2 * 3 * 5 * 19];
    for (int i = 0; i < m.length; i++) {
      m[i] = (i * 7) % 5 == 0 && i % 19 != 0 ? Double.NEGATIVE_INFINITY : 0.0;
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(2, 3, 5, 19).castTo(DataType.FLOAT);
    INDArray[] ref = {Nd4j.create(DataType.FLOAT, 2, 3, 5, 8), Nd4j.create(DataType.FLOAT, 2, 3, 5, 19)};
    INDArray[] got = {Nd4j.create(DataType.FLOAT, 2, 3, 5, 8), Nd4j.create(DataType.FLOAT, 2, 3, 5, 19)};
    reference.attentionForward(ref[0], ref[1], q, k, v, mask);
    fast.attentionForward(got[0], got[1], q, k, v, mask);
    assertClose("attention y", ref[0], got[0], 1e-5);
    assertClose("attention att", ref[1], got[1], 1e-6);
  }

  @Test
  void embeddingFromAViewAndCrossEntropyAgree() {
    INDArray flat = random(11, 1, 1000);
    INDArray table = flat.get(NDArrayIndex.interval(100, 100 + 13 * 37)).reshape(13, 37);
    int[] rows = {3, 12, 0, 3};
    INDArray expected = Nd4j.create(DataType.FLOAT, 4, 37);
    INDArray actual = Nd4j.create(DataType.FLOAT, 4, 37);
    reference.embeddingForward(expected, table, rows);
    fast.embeddingForward(actual, table, rows);
    assertClose("embedding", expected, actual, 0);

    INDArray logits = random(12, 3, 4, 37);
    int[] targets = {5, -1, 36, 0};
    INDArray[] ref = {Nd4j.create(DataType.FLOAT, 4), Nd4j.create(DataType.FLOAT, 4, 37)};
    INDArray[] got = {Nd4j.create(DataType.FLOAT, 4), Nd4j.create(DataType.FLOAT, 4, 37)};
    reference.crossEntropyForward(ref[0], ref[1], logits, targets);
    fast.crossEntropyForward(got[0], got[1], logits, targets);
    assertClose("cross-entropy", ref[0], got[0], 1e-5);
  }

  @Test
  void adamwAgreesOverSeveralSteps() {
    INDArray[] ref = {random(13, 1, 101), Nd4j.zeros(DataType.FLOAT, 101), Nd4j.zeros(DataType.FLOAT, 101)};
    INDArray[] got = {ref[0].dup(), Nd4j.zeros(DataType.FLOAT, 101), Nd4j.zeros(DataType.FLOAT, 101)};
    float[] mask = new float[101];
    Arrays.fill(mask, 0, 60, 1f);
    INDArray decay = Nd4j.createFromArray(mask);
    for (int step = 1; step <= 5; step++) {
      INDArray g = random(20 + step, 1, 101);
      reference.adamwUpdate(ref[0], g, ref[1], ref[2], decay, step, 1e-2, 0.9, 0.95, 1e-8, 0.1);
      fast.adamwUpdate(got[0], g, got[1], got[2], decay, step, 1e-2, 0.9, 0.95, 1e-8, 0.1);
    }
    assertClose("adamw params", ref[0], got[0], 1e-6);
    assertClose("adamw m", ref[1], got[1], 1e-6);
    assertClose("adamw v", ref[2], got[2], 1e-6);
  }
}
