package org.rlhf4j.model.kernels;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of a few rows (a decode step's, one per sequence) with a small weight matrix: each
 * 24-column panel of the weights is copied once into consecutive heap memory and multiplied into
 * four rows at a time from registers.
 *
 * <p>Why: {@code Mmul}'s fixed cost per call is most of a small product's time; at S's decode
 * shapes this takes half as long (BENCHMARKS.md). Larger weights stay with {@code Mmul}, which
 * was as fast or faster from 2048 × 512 up. Every output element is one fused multiply-add chain
 * over k from zero, then the bias, so a result does not depend on the JIT or on the row count.
 */
final class FewRowMatmul {
  /** The most rows a call may take. */
  static final int MAX_ROWS = 32;
  /** The most weights (K·N) a call may take: 1 MiB of floats. */
  static final int MAX_WEIGHTS = 1 << 18;

  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final int L = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ThreadLocal<float[]> INPUT = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

  private FewRowMatmul() {}

  /** {@code out (R, N) = inp (R, K) · w (K, N)}, plus {@code bias (N)} on every row when given. */
  static void forward(FloatMemory out, FloatMemory inp, FloatMemory w, FloatMemory bias, int rows,
      int k, int n) {
    float[] x = rowsOnHeap(inp, rows, k);
    float[] panel = panel(k * 3 * L);
    int col = 0;
    for (; col + 3 * L <= n; col += 3 * L) {
      pack(panel, w, k, n, col, 3);
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        fourRowsThreeVectors(out, x, r, k, panel, n, col);
      }
      for (; r < rows; r++) {
        oneRowThreeVectors(out, x, r, k, panel, n, col);
      }
    }
    // the last columns in narrower panels, rows still four at a time: one row's chain of k
    // multiply-adds on one vector waits on each add (at S's widths, 128 = 2·48 + 32, that
    // path took a third of the decode step's products)
    if (col + 2 * L <= n) {
      pack(panel, w, k, n, col, 2);
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        fourRowsTwoVectors(out, x, r, k, panel, n, col);
      }
      for (; r < rows; r++) {
        oneRowTwoVectors(out, x, r, k, panel, n, col);
      }
      col += 2 * L;
    }
    if (col + L <= n) {
      pack(panel, w, k, n, col, 1);
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        fourRowsOneVector(out, x, r, k, panel, n, col);
      }
      for (; r < rows; r++) {
        oneRowOneVector(out, x, r, k, panel, n, col);
      }
      col += L;
    }
    for (; col < n; col++) {
      for (int r = 0; r < rows; r++) {
        float acc = 0f;
        for (int i = 0; i < k; i++) {
          acc = Math.fma(w.get((long) i * n + col), x[r * k + i], acc);
        }
        out.put((long) r * n + col, acc);
      }
    }
    if (bias != null) {
      addBias(out, bias, rows, n);
    }
  }

  private static void addBias(FloatMemory out, FloatMemory bias, int rows, int n) {
    int bound = F.loopBound(n);
    for (int r = 0; r < rows; r++) {
      long row = (long) r * n;
      int i = 0;
      for (; i < bound; i += L) {
        FloatVector.fromByteBuffer(F, out.bytes, out.at(row + i), LE)
            .add(FloatVector.fromByteBuffer(F, bias.bytes, bias.at(i), LE))
            .intoByteBuffer(out.bytes, out.at(row + i), LE);
      }
      for (; i < n; i++) {
        out.put(row + i, out.get(row + i) + bias.get(i));
      }
    }
  }

  /**
   * Copies {@code w[0..k, col..col+vectors·L)} into consecutive memory: rows of a power-of-two
   * width map to the same few cache sets, so reading the columns in place for each block of rows
   * missed every cache (8 GFLOP/s at 16 × 512 × 2048).
   */
  private static void pack(float[] panel, FloatMemory w, int k, int n, int col, int vectors) {
    for (int i = 0; i < k; i++) {
      int at = w.at((long) i * n + col);
      int to = i * vectors * L;
      for (int v = 0; v < vectors; v++) {
        FloatVector.fromByteBuffer(F, w.bytes, at + v * L * Float.BYTES, LE)
            .intoArray(panel, to + v * L);
      }
    }
  }

  private static float[] panel(int size) {
    float[] p = PANEL.get();
    if (p.length < size) {
      p = new float[size];
      PANEL.set(p);
    }
    return p;
  }

  private static float[] rowsOnHeap(FloatMemory inp, int rows, int k) {
    int size = rows * k;
    float[] x = INPUT.get();
    if (x.length < size) {
      x = new float[size];
      INPUT.set(x);
    }
    inp.bytes.asFloatBuffer().get(inp.at(0) / Float.BYTES, x, 0, size);
    return x;
  }

  private static void fourRowsThreeVectors(FloatMemory out, float[] x, int r, int k,
      float[] panel, int n, int col) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = FloatVector.zero(F);
    FloatVector a02 = FloatVector.zero(F);
    FloatVector a10 = FloatVector.zero(F);
    FloatVector a11 = FloatVector.zero(F);
    FloatVector a12 = FloatVector.zero(F);
    FloatVector a20 = FloatVector.zero(F);
    FloatVector a21 = FloatVector.zero(F);
    FloatVector a22 = FloatVector.zero(F);
    FloatVector a30 = FloatVector.zero(F);
    FloatVector a31 = FloatVector.zero(F);
    FloatVector a32 = FloatVector.zero(F);
    int x0 = r * k;
    int x1 = x0 + k;
    int x2 = x1 + k;
    int x3 = x2 + k;
    for (int i = 0; i < k; i++) {
      int at = i * 3 * L;
      FloatVector w0 = FloatVector.fromArray(F, panel, at);
      FloatVector w1 = FloatVector.fromArray(F, panel, at + L);
      FloatVector w2 = FloatVector.fromArray(F, panel, at + 2 * L);
      FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      a02 = w2.fma(b, a02);
      b = FloatVector.broadcast(F, x[x1 + i]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      a12 = w2.fma(b, a12);
      b = FloatVector.broadcast(F, x[x2 + i]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      a22 = w2.fma(b, a22);
      b = FloatVector.broadcast(F, x[x3 + i]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      a32 = w2.fma(b, a32);
    }
    // stored here, not by a helper: a vector passed to a method that is not inlined is boxed
    int at;
    at = out.at((long) r * n + col);
    a00.intoByteBuffer(out.bytes, at, LE);
    a01.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    a02.intoByteBuffer(out.bytes, at + 2 * L * Float.BYTES, LE);
    at = out.at((long) (r + 1) * n + col);
    a10.intoByteBuffer(out.bytes, at, LE);
    a11.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    a12.intoByteBuffer(out.bytes, at + 2 * L * Float.BYTES, LE);
    at = out.at((long) (r + 2) * n + col);
    a20.intoByteBuffer(out.bytes, at, LE);
    a21.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    a22.intoByteBuffer(out.bytes, at + 2 * L * Float.BYTES, LE);
    at = out.at((long) (r + 3) * n + col);
    a30.intoByteBuffer(out.bytes, at, LE);
    a31.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    a32.intoByteBuffer(out.bytes, at + 2 * L * Float.BYTES, LE);
  }

  private static void oneRowThreeVectors(FloatMemory out, float[] x, int r, int k,
      float[] panel, int n, int col) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      int at = i * 3 * L;
      FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
      a0 = FloatVector.fromArray(F, panel, at).fma(b, a0);
      a1 = FloatVector.fromArray(F, panel, at + L).fma(b, a1);
      a2 = FloatVector.fromArray(F, panel, at + 2 * L).fma(b, a2);
    }
    int at;
    at = out.at((long) r * n + col);
    a0.intoByteBuffer(out.bytes, at, LE);
    a1.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    a2.intoByteBuffer(out.bytes, at + 2 * L * Float.BYTES, LE);
  }

  private static void fourRowsTwoVectors(FloatMemory out, float[] x, int r, int k,
      float[] panel, int n, int col) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = FloatVector.zero(F);
    FloatVector a10 = FloatVector.zero(F);
    FloatVector a11 = FloatVector.zero(F);
    FloatVector a20 = FloatVector.zero(F);
    FloatVector a21 = FloatVector.zero(F);
    FloatVector a30 = FloatVector.zero(F);
    FloatVector a31 = FloatVector.zero(F);
    int x0 = r * k;
    int x1 = x0 + k;
    int x2 = x1 + k;
    int x3 = x2 + k;
    for (int i = 0; i < k; i++) {
      int at = i * 2 * L;
      FloatVector w0 = FloatVector.fromArray(F, panel, at);
      FloatVector w1 = FloatVector.fromArray(F, panel, at + L);
      FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      b = FloatVector.broadcast(F, x[x1 + i]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      b = FloatVector.broadcast(F, x[x2 + i]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      b = FloatVector.broadcast(F, x[x3 + i]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
    }
    int at;
    at = out.at((long) r * n + col);
    a00.intoByteBuffer(out.bytes, at, LE);
    a01.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    at = out.at((long) (r + 1) * n + col);
    a10.intoByteBuffer(out.bytes, at, LE);
    a11.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    at = out.at((long) (r + 2) * n + col);
    a20.intoByteBuffer(out.bytes, at, LE);
    a21.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
    at = out.at((long) (r + 3) * n + col);
    a30.intoByteBuffer(out.bytes, at, LE);
    a31.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
  }

  private static void oneRowTwoVectors(FloatMemory out, float[] x, int r, int k,
      float[] panel, int n, int col) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      int at = i * 2 * L;
      FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
      a0 = FloatVector.fromArray(F, panel, at).fma(b, a0);
      a1 = FloatVector.fromArray(F, panel, at + L).fma(b, a1);
    }
    int at = out.at((long) r * n + col);
    a0.intoByteBuffer(out.bytes, at, LE);
    a1.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
  }

  private static void fourRowsOneVector(FloatMemory out, float[] x, int r, int k,
      float[] panel, int n, int col) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int x0 = r * k;
    int x1 = x0 + k;
    int x2 = x1 + k;
    int x3 = x2 + k;
    for (int i = 0; i < k; i++) {
      FloatVector w0 = FloatVector.fromArray(F, panel, i * L);
      a0 = w0.fma(FloatVector.broadcast(F, x[x0 + i]), a0);
      a1 = w0.fma(FloatVector.broadcast(F, x[x1 + i]), a1);
      a2 = w0.fma(FloatVector.broadcast(F, x[x2 + i]), a2);
      a3 = w0.fma(FloatVector.broadcast(F, x[x3 + i]), a3);
    }
    a0.intoByteBuffer(out.bytes, out.at((long) r * n + col), LE);
    a1.intoByteBuffer(out.bytes, out.at((long) (r + 1) * n + col), LE);
    a2.intoByteBuffer(out.bytes, out.at((long) (r + 2) * n + col), LE);
    a3.intoByteBuffer(out.bytes, out.at((long) (r + 3) * n + col), LE);
  }

  private static void oneRowOneVector(FloatMemory out, float[] x, int r, int k, float[] panel,
      int n, int col) {
    FloatVector a = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      a = FloatVector.fromArray(F, panel, i * L).fma(FloatVector.broadcast(F, x[x0 + i]), a);
    }
    a.intoByteBuffer(out.bytes, out.at((long) r * n + col), LE);
  }
}
