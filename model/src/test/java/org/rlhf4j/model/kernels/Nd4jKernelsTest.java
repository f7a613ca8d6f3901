package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.rlhf4j.model.kernels.FiniteDifferences.check;
import static org.rlhf4j.model.kernels.FiniteDifferences.dot;
import static org.rlhf4j.model.kernels.FiniteDifferences.random;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class Nd4jKernelsTest {
  private static final double TOL = 1e-7;
  private final Kernels k = new Nd4jKernels();

  @Test
  void matmulGradientsMatchFiniteDifferences() {
    INDArray inp = random(1, 1, 5, 4);
    INDArray w = random(2, 1, 4, 3);
    INDArray b = random(3, 1, 3);
    INDArray r = random(4, 1, 5, 3);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray out = Nd4j.create(DataType.DOUBLE, 5, 3);
      k.matmulForward(out, inp, w, b);
      return dot(out, r);
    };
    INDArray dinp = Nd4j.zeros(DataType.DOUBLE, 5, 4);
    INDArray dw = Nd4j.zeros(DataType.DOUBLE, 4, 3);
    INDArray db = Nd4j.zeros(DataType.DOUBLE, 3);
    k.matmulBackward(dinp, dw, db, r, inp, w);
    check("matmul dinp", inp, dinp, loss, 100, 1, TOL);
    check("matmul dweight", w, dw, loss, 100, 1, TOL);
    check("matmul dbias", b, db, loss, 100, 1, TOL);
  }

  @Test
  void matmulBackwardAddsIntoExistingGradients() {
    INDArray inp = random(1, 1, 5, 4);
    INDArray w = random(2, 1, 4, 3);
    INDArray r = random(4, 1, 5, 3);
    INDArray once = Nd4j.zeros(DataType.DOUBLE, 4, 3);
    k.matmulBackward(null, once, null, r, inp, w);
    INDArray twice = Nd4j.zeros(DataType.DOUBLE, 4, 3);
    k.matmulBackward(null, twice, null, r, inp, w);
    k.matmulBackward(null, twice, null, r, inp, w);
    assertEquals(0.0, twice.sub(once.mul(2)).amaxNumber().doubleValue(), 1e-12);
  }

  @Test
  void transposedMatmulGradientsMatchFiniteDifferences() {
    INDArray inp = random(5, 1, 6, 4);
    INDArray w = random(6, 1, 3, 4);
    INDArray r = random(7, 1, 6, 3);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray out = Nd4j.create(DataType.DOUBLE, 6, 3);
      k.matmulTransposedForward(out, inp, w);
      return dot(out, r);
    };
    INDArray dinp = Nd4j.zeros(DataType.DOUBLE, 6, 4);
    INDArray dw = Nd4j.zeros(DataType.DOUBLE, 3, 4);
    k.matmulTransposedBackward(dinp, dw, r, inp, w);
    check("matmulT dinp", inp, dinp, loss, 100, 1, TOL);
    check("matmulT dweight", w, dw, loss, 100, 1, TOL);
  }

  @Test
  void layerNormMatchesAHandComputedRow() {
    INDArray inp = Nd4j.createFromArray(new double[][] {{1, 2, 3, 6}});
    INDArray out = Nd4j.create(DataType.DOUBLE, 1, 4);
    INDArray mean = Nd4j.create(DataType.DOUBLE, 1);
    INDArray rstd = Nd4j.create(DataType.DOUBLE, 1);
    k.layerNormForward(out, mean, rstd, inp, Nd4j.createFromArray(1.0, 2.0, 1.0, 1.0),
        Nd4j.createFromArray(0.0, 0.0, 0.5, 0.0), 1e-5);
    // mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5
    double s = 1 / Math.sqrt(3.5 + 1e-5);
    assertArrayEquals(new double[] {-2 * s, -2 * s, 0.5, 3 * s}, out.toDoubleVector(), 1e-12);
    assertEquals(3.0, mean.getDouble(0), 1e-12);
    assertEquals(s, rstd.getDouble(0), 1e-12);
  }

  @Test
  void layerNormGradientsMatchFiniteDifferences() {
    INDArray inp = random(8, 2, 5, 6);
    INDArray w = random(9, 1, 6);
    INDArray b = random(10, 1, 6);
    INDArray r = random(11, 1, 5, 6);
    INDArray mean = Nd4j.create(DataType.DOUBLE, 5);
    INDArray rstd = Nd4j.create(DataType.DOUBLE, 5);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray out = Nd4j.create(DataType.DOUBLE, 5, 6);
      k.layerNormForward(out, Nd4j.create(DataType.DOUBLE, 5), Nd4j.create(DataType.DOUBLE, 5),
          inp, w, b, 1e-5);
      return dot(out, r);
    };
    k.layerNormForward(Nd4j.create(DataType.DOUBLE, 5, 6), mean, rstd, inp, w, b, 1e-5);
    INDArray dinp = Nd4j.zeros(DataType.DOUBLE, 5, 6);
    INDArray dw = Nd4j.zeros(DataType.DOUBLE, 6);
    INDArray db = Nd4j.zeros(DataType.DOUBLE, 6);
    k.layerNormBackward(dinp, dw, db, r, inp, w, mean, rstd);
    check("layernorm dinp", inp, dinp, loss, 100, 1, TOL);
    check("layernorm dweight", w, dw, loss, 100, 1, TOL);
    check("layernorm dbias", b, db, loss, 100, 1, TOL);
  }

  @Test
  void geluIsGpt2sTanhApproximation() {
    INDArray x = Nd4j.createFromArray(-3.0, -1.0, 0.0, 0.5, 1.0, 2.0);
    INDArray out = Nd4j.create(DataType.DOUBLE, 6);
    k.geluForward(out, x);
    double[] expected = new double[6];
    for (int i = 0; i < 6; i++) {
      double v = x.getDouble(i);
      expected[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }
    assertArrayEquals(expected, out.toDoubleVector(), 1e-12);
    // a published value of tanh-GELU (PyTorch's gelu(1.0, approximate="tanh"))
    assertEquals(0.8411919906082768, out.getDouble(4), 1e-12);
  }

  @Test
  void geluGradientMatchesFiniteDifferences() {
    INDArray inp = random(12, 3, 4, 5);
    INDArray r = random(13, 1, 4, 5);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray out = Nd4j.create(DataType.DOUBLE, 4, 5);
      k.geluForward(out, inp);
      return dot(out, r);
    };
    INDArray dinp = Nd4j.zeros(DataType.DOUBLE, 4, 5);
    k.geluBackward(dinp, r, inp);
    check("gelu dinp", inp, dinp, loss, 100, 1, TOL);
  }

  @Test
  void softmaxGradientMatchesFiniteDifferences() {
    INDArray inp = random(14, 3, 3, 4, 5);
    INDArray r = random(15, 1, 3, 4, 5);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray out = Nd4j.create(DataType.DOUBLE, 3, 4, 5);
      k.softmaxForward(out, inp);
      return dot(out, r);
    };
    INDArray out = Nd4j.create(DataType.DOUBLE, 3, 4, 5);
    k.softmaxForward(out, inp);
    assertEquals(12.0, out.sumNumber().doubleValue(), 1e-12);
    INDArray dinp = Nd4j.zeros(DataType.DOUBLE, 3, 4, 5);
    k.softmaxBackward(dinp, r, out);
    check("softmax dinp", inp, dinp, loss, 100, 1, TOL);
  }

  @Test
  void attentionMatchesAHandComputedCase() {
    // one head, one query over two keys: scores (1·1, 1·0)/√1 → softmax(1, 0)
    INDArray q = Nd4j.createFromArray(1.0).reshape(1, 1, 1, 1);
    INDArray key = Nd4j.createFromArray(1.0, 0.0).reshape(1, 1, 2, 1);
    INDArray v = Nd4j.createFromArray(10.0, 20.0).reshape(1, 1, 2, 1);
    INDArray y = Nd4j.create(DataType.DOUBLE, 1, 1, 1, 1);
    INDArray att = Nd4j.create(DataType.DOUBLE, 1, 1, 1, 2);
    k.attentionForward(y, att, q, key, v, Nd4j.zeros(DataType.DOUBLE, 1, 1, 1, 2));
    double p0 = Math.E / (Math.E + 1);
    assertEquals(p0, att.getDouble(0), 1e-12);
    assertEquals(10 * p0 + 20 * (1 - p0), y.getDouble(0), 1e-12);
    // hiding the first key leaves all weight on the second
    INDArray mask = Nd4j.createFromArray(Double.NEGATIVE_INFINITY, 0.0).reshape(1, 1, 1, 2);
    k.attentionForward(y, att, q, key, v, mask);
    assertEquals(20.0, y.getDouble(0), 1e-12);
    assertEquals(0.0, att.getDouble(0), 0.0);
  }

  @Test
  void attentionGradientsMatchFiniteDifferencesWithAMask() {
    INDArray q = random(16, 1, 2, 2, 3, 4);
    INDArray key = random(17, 1, 2, 2, 5, 4);
    INDArray v = random(18, 1, 2, 2, 5, 4);
    INDArray r = random(19, 1, 2, 2, 3, 4);
    INDArray mask = Nd4j.zeros(DataType.DOUBLE, 2, 2, 3, 5);
    mask.putScalar(new long[] {0, 0, 0, 4}, Double.NEGATIVE_INFINITY);
    mask.putScalar(new long[] {1, 1, 2, 0}, Double.NEGATIVE_INFINITY);
    mask.putScalar(new long[] {1, 0, 1, 3}, Double.NEGATIVE_INFINITY);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray y = Nd4j.create(DataType.DOUBLE, 2, 2, 3, 4);
      k.attentionForward(y, Nd4j.create(DataType.DOUBLE, 2, 2, 3, 5), q, key, v, mask);
      return dot(y, r);
    };
    INDArray y = Nd4j.create(DataType.DOUBLE, 2, 2, 3, 4);
    INDArray att = Nd4j.create(DataType.DOUBLE, 2, 2, 3, 5);
    k.attentionForward(y, att, q, key, v, mask);
    INDArray dq = Nd4j.zeros(DataType.DOUBLE, 2, 2, 3, 4);
    INDArray dk = Nd4j.zeros(DataType.DOUBLE, 2, 2, 5, 4);
    INDArray dv = Nd4j.zeros(DataType.DOUBLE, 2, 2, 5, 4);
    k.attentionBackward(dq, dk, dv, r, q, key, v, att);
    check("attention dq", q, dq, loss, 200, 1, TOL);
    check("attention dk", key, dk, loss, 200, 1, TOL);
    check("attention dv", v, dv, loss, 200, 1, TOL);
    assertEquals(0.0, att.getDouble(0, 0, 0, 4), 0.0);
  }

  @Test
  void embeddingGathersRowsAndScattersRepeatedRowsAdditively() {
    INDArray table = random(20, 1, 7, 3);
    int[] rows = {2, 5, 2, 2, 0};
    INDArray r = random(21, 1, 5, 3);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray out = Nd4j.create(DataType.DOUBLE, 5, 3);
      k.embeddingForward(out, table, rows);
      return dot(out, r);
    };
    INDArray out = Nd4j.create(DataType.DOUBLE, 5, 3);
    k.embeddingForward(out, table, rows);
    assertArrayEquals(table.getRow(2).toDoubleVector(), out.getRow(3).toDoubleVector(), 0.0);
    INDArray dtable = Nd4j.zeros(DataType.DOUBLE, 7, 3);
    k.embeddingBackward(dtable, r, rows);
    check("embedding dtable", table, dtable, loss, 100, 1, TOL);
  }

  @Test
  void embeddingWorksOnViewsIntoALargerBuffer() {
    INDArray flat = Nd4j.zeros(DataType.FLOAT, 40);
    INDArray table = flat.get(NDArrayIndex.interval(10, 31)).reshape(7, 3);
    INDArray dout = Nd4j.ones(DataType.FLOAT, 2, 3);
    k.embeddingBackward(table, dout, new int[] {1, 1});
    assertEquals(6.0, flat.sumNumber().doubleValue(), 0.0);
    assertEquals(2.0, flat.getDouble(13), 0.0);
    assertEquals(2.0, table.getDouble(1, 2), 0.0);
  }

  @Test
  void crossEntropyMatchesAHandComputedLossAndIgnoresNegativeTargets() {
    INDArray logits = Nd4j.createFromArray(new double[][] {{0, 0, Math.log(2)}, {1, 1, 1}});
    INDArray losses = Nd4j.create(DataType.DOUBLE, 2);
    INDArray probs = Nd4j.create(DataType.DOUBLE, 2, 3);
    k.crossEntropyForward(losses, probs, logits, new int[] {2, -1});
    // softmax(0, 0, ln 2) = (1/4, 1/4, 1/2): −ln(1/2)
    assertEquals(Math.log(2), losses.getDouble(0), 1e-12);
    assertEquals(0.0, losses.getDouble(1), 0.0);
  }

  @Test
  void crossEntropyGradientMatchesFiniteDifferences() {
    INDArray logits = random(22, 2, 4, 6);
    int[] targets = {3, -1, 0, 5};
    INDArray w = random(23, 1, 4);
    java.util.function.DoubleSupplier loss = () -> {
      INDArray losses = Nd4j.create(DataType.DOUBLE, 4);
      k.crossEntropyForward(losses, Nd4j.create(DataType.DOUBLE, 4, 6), logits, targets);
      return dot(losses, w);
    };
    INDArray losses = Nd4j.create(DataType.DOUBLE, 4);
    INDArray probs = Nd4j.create(DataType.DOUBLE, 4, 6);
    k.crossEntropyForward(losses, probs, logits, targets);
    INDArray dlogits = Nd4j.zeros(DataType.DOUBLE, 4, 6);
    k.crossEntropyBackward(dlogits, w, probs, targets);
    check("cross-entropy dlogits", logits, dlogits, loss, 100, 1, TOL);
  }

  @Test
  void adamwStepMatchesHandComputedValues() {
    INDArray p = Nd4j.createFromArray(1.0, -2.0);
    INDArray g = Nd4j.createFromArray(0.5, 0.25);
    INDArray m = Nd4j.zeros(DataType.DOUBLE, 2);
    INDArray v = Nd4j.zeros(DataType.DOUBLE, 2);
    long[] decay = {0, 1}; // the first parameter decays
    k.adamwUpdate(p, g, m, v, decay, 1, 0.1, 0.9, 0.999, 1e-8, 0.01);
    // step 1: m̂ = g, v̂ = g², so the Adam part is g/(|g| + 1e-8) ≈ sign(g)
    double adam0 = 0.5 / (0.5 + 1e-8);
    double adam1 = 0.25 / (0.25 + 1e-8);
    assertArrayEquals(new double[] {1.0 - 0.1 * (adam0 + 0.01 * 1.0), -2.0 - 0.1 * adam1},
        p.toDoubleVector(), 1e-12);
    assertArrayEquals(new double[] {0.05, 0.025}, m.toDoubleVector(), 1e-12);
    assertArrayEquals(new double[] {0.00025, 0.0000625}, v.toDoubleVector(), 1e-15);
    // step 2 with gradient 0: m = 0.045, v = 0.00024975 (first), bias-corrected by 0.19 and 0.001999
    p.assign(Nd4j.createFromArray(1.0, -2.0));
    k.adamwUpdate(p, Nd4j.zeros(DataType.DOUBLE, 2), m, v, decay, 2, 0.1, 0.9, 0.999, 1e-8, 0.0);
    double mHat = 0.045 / (1 - 0.81);
    double vHat = 0.00024975 / (1 - 0.998001);
    assertEquals(1.0 - 0.1 * mHat / (Math.sqrt(vHat) + 1e-8), p.getDouble(0), 1e-12);
  }
}
