package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The fast path agrees with the reference kernels; widths are chosen to exercise the loop tails.
 * Backward kernels add onto random gradients, parameter gradients being views into one flat buffer
 * as the parameter store lays them out.
 */
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
  void residualAddIsTheReferencesBitForBitAlsoOnViews() {
    // 7 × 37 floats: whole vectors and a scalar tail; then a strided view, which takes the
    // reference's path
    INDArray x = random(30, 1, 7, 37);
    INDArray expected = random(31, 1, 7, 37);
    INDArray actual = expected.dup();
    reference.addInPlace(expected, x);
    fast.addInPlace(actual, x);
    assertEquals(expected, actual);
    INDArray wide = random(32, 1, 7, 74);
    INDArray columns = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 74));
    INDArray before = columns.dup();
    fast.addInPlace(columns, x);
    assertEquals(before.add(x), wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 74)));
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
  void oneQueryAttentionAgreesOnAPrefixOfACache() {
    // a decode step: one query per (row, head), keys (transposed) and values the first 3 of 4
    // rows of a cache of 23 positions with its tail masked and holes before it; 45-wide heads
    // and 23 positions leave scalar tails after whole vectors at 8 and at 16 lanes
    assertCachedAttentionAgrees(1, 23, 45, i -> i % 23 > 15 || i % 5 == 2);
  }

  @Test
  void promptAttentionOverACacheAgrees() {
    // a prompt's pass: 4 queries per (row, head) over the first 4 of 9 cached positions
    assertCachedAttentionAgrees(4, 9, 5, i -> i % 9 > i / 9 % 4 || i % 7 == 3 && i % 9 != 0);
  }

  @Test
  void oneQueryAttentionAgreesOnAWholeVectorsCache() {
    // 64 positions and heads of 32, as the S decode shape has: whole vectors everywhere; the
    // last visible key at 37, and the keys after it hold values that must get no weight
    assertCachedAttentionAgrees(1, 64, 32, i -> i % 64 > 37 || i % 64 == 3);
  }

  private void assertCachedAttentionAgrees(int t, int s, int hs,
      java.util.function.IntPredicate masked) {
    INDArray q = random(13, 1, 3, 2, t, hs);
    INDArray k = random(14, 1, 4, 2, s, hs);
    INDArray keys = blocked(k).get(NDArrayIndex.interval(0, 3), NDArrayIndex.all(),
        NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all()); // the rows in use: a view
    INDArray v = firstRows(random(15, 1, 4, 2, s, hs), 3);
    double[] m = new double[3 * 2 * t * s];
    for (int i = 0; i < m.length; i++) {
      m[i] = masked.test(i) ? Double.NEGATIVE_INFINITY : 0.0;
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(3, 2, t, s).castTo(DataType.FLOAT);
    INDArray[] ref = {Nd4j.create(DataType.FLOAT, 3, 2, t, hs), Nd4j.create(DataType.FLOAT, 3, 2, t, s)};
    INDArray[] got = {Nd4j.create(DataType.FLOAT, 3, 2, t, hs), Nd4j.create(DataType.FLOAT, 3, 2, t, s)};
    reference.attentionForward(ref[0], ref[1], q, firstRows(k, 3).dup(), v.dup(), mask);
    fast.cachedAttentionForward(got[0], got[1], q, keys, v, mask);
    assertClose("cached attention y", ref[0], got[0], 1e-5);
    assertClose("cached attention att", ref[1], got[1], 1e-6);
    INDArray viaDefault = Nd4j.create(DataType.FLOAT, 3, 2, t, hs);
    reference.cachedAttentionForward(viaDefault, Nd4j.create(DataType.FLOAT, 3, 2, t, s), q,
        keys, v, mask);
    assertClose("the reference's cached attention y", ref[0], viaDefault, 1e-6);
  }

  @Test
  void eachHeadAttendsAsItWouldAloneWithOrWithoutProbabilities() {
    // 2 rows of 3 heads; row 0 sees all 83 keys, row 1 the first 70 but one. 85-wide heads over
    // 83 keys reach every loop (groups of four vectors, single vectors, scalar tails) at 8 and
    // at 16 lanes, and the per-thread copies of one head's query and probabilities must not
    // reach the next
    int b = 2;
    int nh = 3;
    int s = 83;
    int hs = 85;
    INDArray q = random(21, 1, b, nh, 1, hs);
    INDArray k = random(22, 1, b, nh, s, hs);
    INDArray keys = blocked(k);
    INDArray v = random(23, 1, b, nh, s, hs);
    INDArray mask = Nd4j.zeros(DataType.FLOAT, b, nh, 1, s);
    mask.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.interval(70, s)).assign(Float.NEGATIVE_INFINITY);
    mask.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.point(9)).assign(Float.NEGATIVE_INFINITY); // a hole before the end
    INDArray together = Nd4j.create(DataType.FLOAT, b, nh, 1, hs);
    INDArray att = Nd4j.create(DataType.FLOAT, b, nh, 1, s);
    fast.cachedAttentionForward(together, att, q, keys, v, mask);
    INDArray withoutProbabilities = Nd4j.create(DataType.FLOAT, b, nh, 1, hs);
    fast.cachedAttentionForward(withoutProbabilities, null, q, keys, v, mask);
    assertSameBits("y without the probabilities", together, withoutProbabilities);
    for (int r = 0; r < b; r++) {
      for (int h = 0; h < nh; h++) {
        INDArrayIndex[] head = {NDArrayIndex.interval(r, r + 1), NDArrayIndex.interval(h, h + 1)};
        INDArray alone = Nd4j.create(DataType.FLOAT, 1, 1, 1, hs);
        INDArray aloneAtt = Nd4j.create(DataType.FLOAT, 1, 1, 1, s);
        fast.cachedAttentionForward(alone, aloneAtt, slice(q, head), slice(keys, head),
            slice(v, head), slice(mask, head));
        assertSameBits("head " + h + " of row " + r, alone, slice(together, head));
        assertSameBits("probabilities of head " + h + " of row " + r, aloneAtt, slice(att, head));
      }
    }
    assertEquals(0f, att.getFloat(1, 2, 0, 9), "a masked key gets no probability");
  }

  private static INDArray slice(INDArray a, INDArrayIndex[] leading) {
    INDArrayIndex[] index = new INDArrayIndex[a.rank()];
    Arrays.fill(index, NDArrayIndex.all());
    System.arraycopy(leading, 0, index, 0, leading.length);
    return a.get(index).dup('c');
  }

  private static void assertSameBits(String what, INDArray expected, INDArray actual) {
    float[] e = expected.dup('c').data().asFloat();
    float[] g = actual.dup('c').data().asFloat();
    assertEquals(e.length, g.length, what + ": sizes");
    for (int i = 0; i < e.length; i++) {
      assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(g[i]),
          what + " differs at " + i + ": " + e[i] + " against " + g[i]);
    }
  }

  @Test
  void cacheHeadsCopiesEachHeadToItsPlace() {
    // 3 of 4 cached rows in use (a view), 2 heads of 5, 3 new positions written at 15 of 33:
    // across the first and second key blocks
    INDArray qkv = random(16, 1, 3 * 3, 3 * 2 * 5);
    INDArray[] ref = {Nd4j.create(DataType.FLOAT, 3, 2, 3, 5), random(17, 1, 4, 2, 3, 5, 16),
        random(18, 1, 4, 2, 33, 5)};
    INDArray[] got = {Nd4j.create(DataType.FLOAT, 3, 2, 3, 5), ref[1].dup(), ref[2].dup()};
    INDArray[] refRows = {ref[0], firstRows(ref[1], 3), firstRows(ref[2], 3)};
    INDArray[] gotRows = {got[0], firstRows(got[1], 3), firstRows(got[2], 3)};
    reference.cacheHeads(refRows[0], refRows[1], refRows[2], qkv, 15);
    fast.cacheHeads(gotRows[0], gotRows[1], gotRows[2], qkv, 15);
    assertClose("cached q", ref[0], got[0], 0);
    assertClose("cached k", ref[1], got[1], 0);
    assertClose("cached v", ref[2], got[2], 0);
    // head 1's key of row 2, position 1 of the pass (16 of the cache: block 1, column 0):
    // columns C + 5 .. C + 10 of token 2·3 + 1
    assertClose("one key", qkv.get(NDArrayIndex.point(7), NDArrayIndex.interval(15, 20)),
        got[1].get(NDArrayIndex.point(2), NDArrayIndex.point(1), NDArrayIndex.point(1),
            NDArrayIndex.all(), NDArrayIndex.point(0)), 0);
    assertEquals(ref[1].getFloat(3, 0, 0, 0, 15), got[1].getFloat(3, 0, 0, 0, 15),
        "the row not in use is left alone");
  }

  @Test
  void copySliceCopiesOneRowOverAnotherAndNothingElse() {
    INDArray ref = random(19, 1, 4, 2, 3, 17);
    INDArray got = ref.dup();
    INDArray before = ref.dup();
    reference.copySlice(ref, 3, 1);
    fast.copySlice(got, 3, 1);
    assertClose("copied as the reference copies", ref, got, 0);
    assertClose("row 1 is row 3", before.slice(3), got.slice(1), 0);
    for (int r : new int[] {0, 2, 3}) {
      assertClose("row " + r + " unchanged", before.slice(r), got.slice(r), 0);
    }
  }

  /** Keys by position {@code (B, NH, S, HS)} as the cache's blocks {@code (B, NH, S/16, HS, 16)}. */
  private static INDArray blocked(INDArray k) {
    long b = k.size(0);
    long nh = k.size(1);
    long s = k.size(2);
    long hs = k.size(3);
    long blocks = (s + Kernels.KEY_BLOCK - 1) / Kernels.KEY_BLOCK;
    INDArray padded = Nd4j.zeros(DataType.FLOAT, b, nh, blocks * Kernels.KEY_BLOCK, hs);
    padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, s),
        NDArrayIndex.all()).assign(k);
    return padded.reshape(b, nh, blocks, Kernels.KEY_BLOCK, hs).permute(0, 1, 2, 4, 3).dup('c');
  }

  private static INDArray firstRows(INDArray a, int rows) {
    INDArrayIndex[] index = new INDArrayIndex[a.rank()];
    java.util.Arrays.fill(index, NDArrayIndex.all());
    index[0] = NDArrayIndex.interval(0, rows);
    return a.get(index);
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
    long[] decay = {3, 40, 41, 60, 77, 101}; // ranges that start and end off vector boundaries
    for (int step = 1; step <= 5; step++) {
      INDArray g = random(20 + step, 1, 101);
      reference.adamwUpdate(ref[0], g, ref[1], ref[2], decay, step, 1e-2, 0.9, 0.95, 1e-8, 0.1);
      fast.adamwUpdate(got[0], g, got[1], got[2], decay, step, 1e-2, 0.9, 0.95, 1e-8, 0.1);
    }
    assertClose("adamw params", ref[0], got[0], 1e-6);
    assertClose("adamw m", ref[1], got[1], 1e-6);
    assertClose("adamw v", ref[2], got[2], 1e-6);
  }

  /**
   * Views of {@code shapes} into one flat random buffer, each after a gap of 3 elements (so no
   * view starts on a vector boundary), like gradients in a flat parameter store.
   */
  private record FlatStore(INDArray flat, INDArray[] views) {
    static FlatStore random(long seed, long[]... shapes) {
      long total = 0;
      for (long[] shape : shapes) {
        total += 3 + Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      }
      return over(VectorKernelsTest.random(seed, 1, total + 3), shapes);
    }

    private static FlatStore over(INDArray flat, long[][] shapes) {
      INDArray[] views = new INDArray[shapes.length];
      long at = 3;
      for (int i = 0; i < shapes.length; i++) {
        long n = Arrays.stream(shapes[i]).reduce(1, (a, b) -> a * b);
        views[i] = flat.get(NDArrayIndex.interval(at, at + n)).reshape(shapes[i]);
        at += n + 3;
      }
      return new FlatStore(flat, views);
    }

    /** The same layout over a copy of the buffer. */
    FlatStore copy() {
      long[][] shapes = new long[views.length][];
      for (int i = 0; i < views.length; i++) {
        shapes[i] = views[i].shape();
      }
      return over(flat.dup(), shapes);
    }
  }

  private static long[] shape(long... dims) {
    return dims;
  }

  @Test
  void matmulBackwardAddsTheSameGradientsIntoViews() {
    // OC = 151 covers the 4-vector column blocks, a single vector and a scalar tail
    INDArray inp = random(30, 1, 9, 37);
    INDArray dout = random(31, 1, 9, 151);
    FlatStore params = FlatStore.random(32, shape(37, 151));
    FlatStore ref = FlatStore.random(33, shape(37, 151), shape(151));
    FlatStore got = ref.copy();
    INDArray dinpRef = random(34, 1, 9, 37);
    INDArray dinpGot = dinpRef.dup();
    reference.matmulBackward(dinpRef, ref.views()[0], ref.views()[1], dout, inp,
        params.views()[0]);
    fast.matmulBackward(dinpGot, got.views()[0], got.views()[1], dout, inp, params.views()[0]);
    assertClose("matmul dinp", dinpRef, dinpGot, 1e-5);
    assertClose("matmul dweight", ref.views()[0], got.views()[0], 1e-5);
    assertClose("matmul dbias", ref.views()[1], got.views()[1], 1e-5);
    assertClose("matmul store", ref.flat(), got.flat(), 1e-5);
  }

  @Test
  void layerNormBackwardAddsTheSameGradientsIntoViews() {
    for (int c : new int[] {37, 71}) {
      INDArray inp = random(40 + c, 3, 9, c).addi(1.5f);
      FlatStore params = FlatStore.random(41 + c, shape(c), shape(c));
      INDArray out = Nd4j.create(DataType.FLOAT, 9, c);
      INDArray mean = Nd4j.create(DataType.FLOAT, 9);
      INDArray rstd = Nd4j.create(DataType.FLOAT, 9);
      reference.layerNormForward(out, mean, rstd, inp, params.views()[0], params.views()[1], 1e-5);
      INDArray dout = random(42 + c, 1, 9, c);
      FlatStore ref = FlatStore.random(43 + c, shape(c), shape(c));
      FlatStore got = ref.copy();
      INDArray dinpRef = random(44 + c, 1, 9, c);
      INDArray dinpGot = dinpRef.dup();
      reference.layerNormBackward(dinpRef, ref.views()[0], ref.views()[1], dout, inp,
          params.views()[0], mean, rstd);
      fast.layerNormBackward(dinpGot, got.views()[0], got.views()[1], dout, inp,
          params.views()[0], mean, rstd);
      assertClose("layernorm dinp", dinpRef, dinpGot, 1e-5);
      assertClose("layernorm dw", ref.views()[0], got.views()[0], 1e-5);
      assertClose("layernorm db", ref.views()[1], got.views()[1], 1e-5);
      assertClose("layernorm store", ref.flat(), got.flat(), 1e-5);
    }
  }

  @Test
  void geluAgreesOverSeveralBlocksAndInPlace() {
    // 2 whole blocks of 2,048, a partial third and a scalar tail of 5
    int n = 2 * 2048 + 37;
    INDArray inp = random(53, 4, n);
    INDArray expected = Nd4j.create(DataType.FLOAT, n);
    INDArray actual = Nd4j.create(DataType.FLOAT, n);
    reference.geluForward(expected, inp);
    fast.geluForward(actual, inp);
    assertClose("gelu over blocks", expected, actual, 1e-6);
    INDArray inPlace = inp.dup();
    fast.geluForward(inPlace, inPlace);
    assertClose("gelu in place", actual, inPlace, 0);
    INDArray dout = random(54, 1, n);
    INDArray dRef = random(55, 1, n);
    INDArray dGot = dRef.dup();
    reference.geluBackward(dRef, dout, inp);
    fast.geluBackward(dGot, dout, inp);
    assertClose("gelu backward over blocks", dRef, dGot, 1e-5);
  }

  @Test
  void adamwSplitIntoRangesChangesNoBit() {
    INDArray[] whole = {random(60, 1, 101), Nd4j.zeros(DataType.FLOAT, 101),
        Nd4j.zeros(DataType.FLOAT, 101)};
    INDArray[] split = {whole[0].dup(), Nd4j.zeros(DataType.FLOAT, 101),
        Nd4j.zeros(DataType.FLOAT, 101)};
    for (int step = 1; step <= 3; step++) {
      INDArray g = random(61 + step, 1, 101);
      fast.adamwUpdate(whole[0], g, whole[1], whole[2], new long[] {0, 101}, step, 1e-2, 0.9,
          0.95, 1e-8, 0.1);
      fast.adamwUpdate(split[0], g, split[1], split[2], new long[] {0, 37, 37, 101}, step, 1e-2,
          0.9, 0.95, 1e-8, 0.1);
    }
    assertClose("adamw params, split", whole[0], split[0], 0);
    assertClose("adamw v, split", whole[2], split[2], 0);
  }

  @Test
  void geluAndSoftmaxBackwardAddTheSameGradients() {
    INDArray inp = random(50, 4, 5, 71);
    INDArray dout = random(51, 1, 5, 71);
    INDArray expected = random(52, 1, 5, 71);
    INDArray actual = expected.dup();
    reference.geluBackward(expected, dout, inp);
    fast.geluBackward(actual, dout, inp);
    assertClose("gelu backward", expected, actual, 1e-5);

    INDArray probs = Nd4j.create(DataType.FLOAT, 2, 5, 37); // (B, T, S)
    reference.softmaxForward(probs, random(53, 3, 2, 5, 37));
    INDArray dprobs = random(54, 1, 2, 5, 37);
    expected = random(55, 1, 2, 5, 37);
    actual = expected.dup();
    reference.softmaxBackward(expected, dprobs, probs);
    fast.softmaxBackward(actual, dprobs, probs);
    assertClose("softmax backward", expected, actual, 1e-5);
  }

  /** Reference and fast attention backward on one random masked case, compared. */
  private void assertAttentionBackwardAgrees(long seed, int b, int nh, int t, int s, int hs) {
    INDArray q = random(seed, 1, b, nh, t, hs);
    INDArray k = random(seed + 1, 1, b, nh, s, hs);
    INDArray v = random(seed + 2, 1, b, nh, s, hs);
    float[] m = new float[b * nh * t * s];
    for (int r = 0; r < m.length; r++) {
      int i = r / s % t;
      int j = r % s;
      m[r] = j > i + s - t ? Float.NEGATIVE_INFINITY : 0f; // causal, the queries last
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(b, nh, t, s); // (B, NH, T, S)
    INDArray y = Nd4j.create(DataType.FLOAT, b, nh, t, hs);
    INDArray att = Nd4j.create(DataType.FLOAT, b, nh, t, s);
    reference.attentionForward(y, att, q, k, v, mask);
    INDArray dy = random(seed + 3, 1, b, nh, t, hs);
    INDArray[] ref = {random(seed + 4, 1, b, nh, t, hs), random(seed + 5, 1, b, nh, s, hs),
        random(seed + 6, 1, b, nh, s, hs)};
    INDArray[] got = {ref[0].dup(), ref[1].dup(), ref[2].dup()};
    reference.attentionBackward(ref[0], ref[1], ref[2], dy, q, k, v, att);
    fast.attentionBackward(got[0], got[1], got[2], dy, q, k, v, att);
    assertClose("attention dq", ref[0], got[0], 1e-5);
    assertClose("attention dk", ref[1], got[1], 1e-5);
    assertClose("attention dv", ref[2], got[2], 1e-5);
  }

  @Test
  void maskedAttentionBackwardAddsTheSameGradientsAsItsScratchGrowsAndShrinks() {
    assertAttentionBackwardAgrees(60, 2, 3, 5, 19, 8);
    assertAttentionBackwardAgrees(70, 2, 2, 37, 37, 16); // a larger scratch
    assertAttentionBackwardAgrees(80, 2, 3, 5, 19, 8); // a view over the front of it
    assertAttentionBackwardAgrees(90, 1, 3, 5, 19, 8);
  }

  @Test
  void packedAttentionAgreesWithTheHeadsFirstReference() {
    assertPackedAttentionAgrees(120, 2, 3, 13, 37); // 37-wide heads: the vector loop and its tail
    assertPackedAttentionAgrees(130, 3, 4, 9, 16);
    assertPackedAttentionAgrees(140, 1, 2, 1, 8); // one token
    assertPackedAttentionAgrees(150, 1, 2, 260, 8); // longer than PackedAttention takes
  }

  /**
   * Fast and reference packed attention, forward and backward, on qkv rows of width 3·NH·HS with
   * a causal mask whose second row also hides two padded keys (a query still sees itself).
   */
  private void assertPackedAttentionAgrees(long seed, int b, int nh, int t, int hs) {
    int c = nh * hs;
    INDArray qkv = random(seed, 1, (long) b * t, 3L * c);
    float[] m = new float[b * nh * t * t];
    for (int r = 0; r < m.length; r++) {
      int row = r / (nh * t * t);
      int i = r / t % t;
      int j = r % t;
      boolean padded = row == 1 && (j == 0 || j == t / 2);
      m[r] = j == i || (j < i && !padded) ? 0f : Float.NEGATIVE_INFINITY;
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(b, nh, t, t);
    INDArray[] ref = {Nd4j.create(DataType.FLOAT, (long) b * t, c),
        Nd4j.create(DataType.FLOAT, b, nh, t, t)};
    INDArray[] got = {Nd4j.create(DataType.FLOAT, (long) b * t, c),
        Nd4j.create(DataType.FLOAT, b, nh, t, t)};
    reference.packedAttentionForward(ref[0], ref[1], qkv, mask, nh);
    fast.packedAttentionForward(got[0], got[1], qkv, mask, nh);
    assertClose("packed attention y", ref[0], got[0], 1e-5);
    assertClose("packed attention att", ref[1], got[1], 1e-6);

    INDArray dy = random(seed + 1, 1, (long) b * t, c);
    INDArray dqkvRef = random(seed + 2, 1, (long) b * t, 3L * c);
    INDArray dqkvGot = dqkvRef.dup();
    INDArray dqkvAgain = dqkvRef.dup();
    reference.packedAttentionBackward(dqkvRef, dy, qkv, ref[1], mask, nh);
    fast.packedAttentionBackward(dqkvGot, dy, qkv, got[1], mask, nh);
    assertClose("packed attention dqkv", dqkvRef, dqkvGot, 1e-5);
    // without the probabilities, as a recomputing pass calls it: computed again from qkv and mask
    INDArray dqkvRefAgain = dqkvAgain.dup();
    reference.packedAttentionBackward(dqkvRefAgain, dy, qkv, null, mask, nh);
    fast.packedAttentionBackward(dqkvAgain, dy, qkv, null, mask, nh);
    assertClose("reference dqkv, probabilities computed again", dqkvRef, dqkvRefAgain, 1e-5);
    assertClose("fast dqkv, probabilities computed again", dqkvGot, dqkvAgain, 0.0);
  }

  @Test
  void attentionBackwardIsSafeWhenOneInstanceServesTwoThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> a = pool.submit(() -> {
        for (int i = 0; i < 10; i++) {
          assertAttentionBackwardAgrees(100 + i, 2, 2, 37, 37, 16);
        }
      });
      Future<?> b = pool.submit(() -> {
        for (int i = 0; i < 10; i++) {
          assertAttentionBackwardAgrees(200 + i, 1, 3, 11, 11, 8);
        }
      });
      a.get();
      b.get();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void nullGradientOutputsAreSkipped() {
    INDArray inp = random(110, 1, 6, 37);
    INDArray w = random(111, 1, 37, 71);
    INDArray dout = random(112, 1, 6, 71);
    INDArray dwRef = random(113, 1, 37, 71);
    INDArray dwGot = dwRef.dup();
    reference.matmulBackward(null, dwRef, null, dout, inp, w);
    fast.matmulBackward(null, dwGot, null, dout, inp, w);
    assertClose("matmul dw only", dwRef, dwGot, 1e-5);

    INDArray mean = Nd4j.create(DataType.FLOAT, 6);
    INDArray rstd = Nd4j.create(DataType.FLOAT, 6);
    INDArray g = random(114, 1, 37);
    reference.layerNormForward(Nd4j.create(DataType.FLOAT, 6, 37), mean, rstd, inp, g,
        random(115, 1, 37), 1e-5);
    INDArray dbRef = random(116, 1, 37);
    INDArray dbGot = dbRef.dup();
    reference.layerNormBackward(null, null, dbRef, dout.get(NDArrayIndex.all(),
        NDArrayIndex.interval(0, 37)).dup(), inp, g, mean, rstd);
    fast.layerNormBackward(null, null, dbGot, dout.get(NDArrayIndex.all(),
        NDArrayIndex.interval(0, 37)).dup(), inp, g, mean, rstd);
    assertClose("layernorm db only", dbRef, dbGot, 1e-5);

    INDArray q = random(117, 1, 1, 2, 5, 8);
    INDArray att = Nd4j.create(DataType.FLOAT, 1, 2, 5, 5);
    reference.softmaxForward(att, random(118, 1, 1, 2, 5, 5));
    INDArray dy = random(119, 1, 1, 2, 5, 8);
    INDArray dvGot = random(120, 1, 1, 2, 5, 8);
    INDArray dvRef = dvGot.dup();
    fast.attentionBackward(null, null, dvGot, dy, q, q, q, att);
    Nd4j.exec(new Mmul(att, dy, dvRef, 1.0, 1.0, new MMulTranspose(true, false, false)));
    assertClose("attention dv only", dvRef, dvGot, 1e-5);
  }

  @Test
  void embeddingAndCrossEntropyBackwardAddTheSameGradients() {
    FlatStore ref = FlatStore.random(130, shape(13, 37));
    FlatStore got = ref.copy();
    int[] rows = {3, 12, 0, 3, 3};
    INDArray dout = random(131, 1, 5, 37);
    reference.embeddingBackward(ref.views()[0], dout, rows);
    fast.embeddingBackward(got.views()[0], dout, rows);
    assertClose("embedding backward", ref.flat(), got.flat(), 1e-6);

    INDArray probs = Nd4j.create(DataType.FLOAT, 6, 71);
    int[] targets = {5, -1, 70, 0, 5, -1};
    reference.crossEntropyForward(Nd4j.create(DataType.FLOAT, 6), probs, random(132, 3, 6, 71),
        targets);
    INDArray dlosses = random(133, 1, 6);
    INDArray expected = random(134, 1, 6, 71);
    INDArray actual = expected.dup();
    reference.crossEntropyBackward(expected, dlosses, probs, targets);
    fast.crossEntropyBackward(actual, dlosses, probs, targets);
    assertClose("cross-entropy backward", expected, actual, 1e-6);

    // in place: the logits become probabilities, then their gradient (no added-onto input)
    INDArray fresh = Nd4j.zeros(DataType.FLOAT, 6, 71);
    reference.crossEntropyBackward(fresh, dlosses, probs, targets);
    INDArray logits = random(132, 3, 6, 71);
    INDArray lossesInPlace = Nd4j.create(DataType.FLOAT, 6);
    fast.crossEntropyForward(lossesInPlace, logits, logits, targets);
    assertClose("cross-entropy in place, probs", probs, logits, 1e-6);
    INDArray refInPlace = logits.dup();
    fast.crossEntropyBackwardInPlace(logits, dlosses, targets);
    reference.crossEntropyBackwardInPlace(refInPlace, dlosses, targets);
    assertClose("cross-entropy backward in place", fresh, logits, 1e-6);
    assertClose("reference cross-entropy backward in place", fresh, refInPlace, 1e-6);
  }

  @Test
  void resultsAreBitIdenticalBeforeAndAfterTheJitCompilesTheKernels() {
    INDArray inp = random(40, 4, 6, 67);
    INDArray w = random(41, 1, 67);
    INDArray b = random(42, 1, 67);
    INDArray dout = random(43, 1, 6, 67);
    java.util.function.Supplier<float[]> run = () -> {
      INDArray ln = Nd4j.create(DataType.FLOAT, 6, 67);
      INDArray mean = Nd4j.create(DataType.FLOAT, 6);
      INDArray rstd = Nd4j.create(DataType.FLOAT, 6);
      fast.layerNormForward(ln, mean, rstd, inp, w, b, 1e-5);
      INDArray g = Nd4j.create(DataType.FLOAT, 6, 67);
      fast.geluForward(g, ln);
      INDArray sm = Nd4j.create(DataType.FLOAT, 6, 67);
      fast.softmaxForward(sm, g);
      INDArray dg = Nd4j.zeros(DataType.FLOAT, 6, 67);
      fast.geluBackward(dg, dout, ln);
      INDArray dln = Nd4j.zeros(DataType.FLOAT, 6, 67);
      fast.layerNormBackward(dln, Nd4j.zeros(DataType.FLOAT, 67), Nd4j.zeros(DataType.FLOAT, 67),
          dg, inp, w, mean, rstd);
      return org.nd4j.linalg.factory.Nd4j.concat(0, sm, dln).reshape(-1).toFloatVector();
    };
    float[] cold = run.get();
    float[] warm = cold;
    for (int i = 0; i < 3000; i++) {
      warm = run.get();
    }
    // every bit: replaying a run must give the same weights whatever the JIT has compiled
    assertTrue(java.util.Arrays.equals(cold, warm), "results changed once the kernels were compiled");
  }
}
