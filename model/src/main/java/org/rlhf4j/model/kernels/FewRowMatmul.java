package org.rlhf4j.model.kernels;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of a few rows (a decode step's, one per sequence) with a weight matrix: each panel of
 * three vectors' width of the weights is copied into consecutive heap memory (per call, or once
 * for a decoder's generation: {@link FrozenWeights}) and multiplied into eight or four rows at a
 * time from registers.
 *
 * <p>Why: {@code Mmul}'s fixed cost per call is most of a small product's time; at S's decode
 * shapes this takes half as long (BENCHMARKS.md). Packing per call, larger weights stay with
 * {@code Mmul}, which was as fast or faster from 2048 × 512 up; packed once, these are faster at
 * every decode shape measured (BENCHMARKS.md, session 21). Every output element is one fused
 * multiply-add chain over k from zero, then the bias, so a result does not depend on the JIT, the
 * row count or the packing.
 */
final class FewRowMatmul {
  /** The most rows a call may take. */
  static final int MAX_ROWS = 32;
  /** The most weights (K·N) a call that packs its weights may take: 1 MiB of floats. */
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
    for (int col = 0; col < n; col += panelWidth(n - col)) {
      int width = panelWidth(n - col);
      pack(panel, 0, w, k, n, col, width);
      panelProduct(out, x, rows, k, panel, 0, n, col, width);
    }
    if (bias != null) {
      addBias(out, bias, rows, n);
    }
  }

  /** As the other {@code forward}, from weights packed once. */
  static void forward(FloatMemory out, FloatMemory inp, Panels w, FloatMemory bias, int rows) {
    float[] x = rowsOnHeap(inp, rows, w.k);
    int base = 0;
    for (int col = 0; col < w.n; col += panelWidth(w.n - col)) {
      int width = panelWidth(w.n - col);
      panelProduct(out, x, rows, w.k, w.data, base, w.n, col, width);
      base += w.k * width;
    }
    if (bias != null) {
      addBias(out, bias, rows, w.n);
    }
  }

  /**
   * {@code w (K, N)} packed into the panels the products read, in the order they read them, into
   * {@code into} when given (K·N floats).
   */
  static Panels pack(FloatMemory w, int k, int n, float[] into) {
    float[] data = into != null ? into : new float[Math.multiplyExact(k, n)];
    int base = 0;
    for (int col = 0; col < n; col += panelWidth(n - col)) {
      int width = panelWidth(n - col);
      pack(data, base, w, k, n, col, width);
      base += k * width;
    }
    return new Panels(data, k, n);
  }

  /**
   * {@code wᵀ} packed as {@link #pack} packs a (K, N) matrix, from {@code w (N, K)} (a tied output
   * layer's embedding), into {@code into} when given (K·N floats).
   */
  static Panels packTransposed(FloatMemory w, int n, int k, float[] into) {
    float[] data = into != null ? into : new float[Math.multiplyExact(k, n)];
    float[] row = new float[k];
    int base = 0;
    for (int col = 0; col < n; col += panelWidth(n - col)) {
      int width = panelWidth(n - col);
      for (int j = 0; j < width; j++) {
        w.get((long) (col + j) * k, row, 0, k); // one column of wᵀ
        for (int i = 0; i < k; i++) {
          data[base + i * width + j] = row[i];
        }
      }
      base += k * width;
    }
    return new Panels(data, k, n);
  }

  /**
   * A weight matrix (K, N) as panels of columns, each K rows of consecutive floats: panels of three
   * vectors, then one of two, one of one and the last columns (fewer than a vector), so that a
   * decoder's products, which read every weight at each step, skip the copy into a panel.
   */
  static final class Panels {
    final float[] data;
    final int k;
    final int n;

    private Panels(float[] data, int k, int n) {
      this.data = data;
      this.k = k;
      this.n = n;
    }
  }

  /**
   * Whether a product of {@code rows} rows into {@code n} columns reads packed weights when it
   * may: not below one vector of columns, which only the scalar loop would take.
   */
  static boolean takesPacked(long rows, long n) {
    return rows <= MAX_ROWS && n >= L;
  }

  /** The width of the panel that starts where {@code left} columns remain. */
  private static int panelWidth(int left) {
    return left >= 3 * L ? 3 * L : left >= 2 * L ? 2 * L : left >= L ? L : left;
  }

  /**
   * Columns {@code col .. col+width)} of {@code out} from the panel at {@code panel[base ..)}: rows
   * eight (with 32 registers) or four at a time from registers, then one at a time. With fewer
   * columns than three vectors, rows still go four at a time: one row's chain of k multiply-adds
   * on one vector waits on each add (at S's widths, 128 = 2·48 + 32, that path took a third of the
   * decode step's products).
   */
  private static void panelProduct(FloatMemory out, float[] x, int rows, int k, float[] panel,
      int base, int n, int col, int width) {
    int r = 0;
    if (width == 3 * L) {
      if (VectorMath.WIDE_REGISTERS) { // the eight-row kernel holds 28 vectors
        for (; r + 8 <= rows; r += 8) {
          eightRowsThreeVectors(out, x, r, k, panel, base, n, col);
        }
      }
      for (; r + 4 <= rows; r += 4) {
        fourRowsThreeVectors(out, x, r, k, panel, base, n, col);
      }
      for (; r < rows; r++) {
        oneRowThreeVectors(out, x, r, k, panel, base, n, col);
      }
    } else if (width == 2 * L) {
      for (; r + 4 <= rows; r += 4) {
        fourRowsTwoVectors(out, x, r, k, panel, base, n, col);
      }
      for (; r < rows; r++) {
        oneRowTwoVectors(out, x, r, k, panel, base, n, col);
      }
    } else if (width == L) {
      for (; r + 4 <= rows; r += 4) {
        fourRowsOneVector(out, x, r, k, panel, base, n, col);
      }
      for (; r < rows; r++) {
        oneRowOneVector(out, x, r, k, panel, base, n, col);
      }
    } else {
      for (int j = 0; j < width; j++) {
        for (r = 0; r < rows; r++) {
          float acc = 0f;
          for (int i = 0; i < k; i++) {
            acc = Math.fma(panel[base + i * width + j], x[r * k + i], acc);
          }
          out.put((long) r * n + col + j, acc);
        }
      }
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
   * Copies {@code w[0..k, col..col+width)} into consecutive memory at {@code panel[base ..)}: rows
   * of a power-of-two width map to the same few cache sets, so reading the columns in place for
   * each block of rows missed every cache (8 GFLOP/s at 16 × 512 × 2048).
   */
  private static void pack(float[] panel, int base, FloatMemory w, int k, int n, int col,
      int width) {
    int vectors = width / L;
    for (int i = 0; i < k; i++) {
      int at = w.at((long) i * n + col);
      int to = base + i * width;
      for (int v = 0; v < vectors; v++) {
        FloatVector.fromByteBuffer(F, w.bytes, at + v * L * Float.BYTES, LE)
            .intoArray(panel, to + v * L);
      }
      for (int j = vectors * L; j < width; j++) {
        panel[to + j] = w.get((long) i * n + col + j);
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

  /** The {@code rows × k} floats of {@code inp} in a per-thread heap array. */
  static float[] rowsOnHeap(FloatMemory inp, int rows, int k) {
    int size = rows * k;
    float[] x = INPUT.get();
    if (x.length < size) {
      x = new float[size];
      INPUT.set(x);
    }
    inp.bytes.asFloatBuffer().get(inp.at(0) / Float.BYTES, x, 0, size);
    return x;
  }

  private static void eightRowsThreeVectors(FloatMemory out, float[] x, int r, int k,
      float[] panel, int base, int n, int col) {
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
    FloatVector a40 = FloatVector.zero(F);
    FloatVector a41 = FloatVector.zero(F);
    FloatVector a42 = FloatVector.zero(F);
    FloatVector a50 = FloatVector.zero(F);
    FloatVector a51 = FloatVector.zero(F);
    FloatVector a52 = FloatVector.zero(F);
    FloatVector a60 = FloatVector.zero(F);
    FloatVector a61 = FloatVector.zero(F);
    FloatVector a62 = FloatVector.zero(F);
    FloatVector a70 = FloatVector.zero(F);
    FloatVector a71 = FloatVector.zero(F);
    FloatVector a72 = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      int at = base + i * 3 * L;
      FloatVector w0 = FloatVector.fromArray(F, panel, at);
      FloatVector w1 = FloatVector.fromArray(F, panel, at + L);
      FloatVector w2 = FloatVector.fromArray(F, panel, at + 2 * L);
      FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      a02 = w2.fma(b, a02);
      b = FloatVector.broadcast(F, x[x0 + k + i]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      a12 = w2.fma(b, a12);
      b = FloatVector.broadcast(F, x[x0 + 2 * k + i]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      a22 = w2.fma(b, a22);
      b = FloatVector.broadcast(F, x[x0 + 3 * k + i]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      a32 = w2.fma(b, a32);
      b = FloatVector.broadcast(F, x[x0 + 4 * k + i]);
      a40 = w0.fma(b, a40);
      a41 = w1.fma(b, a41);
      a42 = w2.fma(b, a42);
      b = FloatVector.broadcast(F, x[x0 + 5 * k + i]);
      a50 = w0.fma(b, a50);
      a51 = w1.fma(b, a51);
      a52 = w2.fma(b, a52);
      b = FloatVector.broadcast(F, x[x0 + 6 * k + i]);
      a60 = w0.fma(b, a60);
      a61 = w1.fma(b, a61);
      a62 = w2.fma(b, a62);
      b = FloatVector.broadcast(F, x[x0 + 7 * k + i]);
      a70 = w0.fma(b, a70);
      a71 = w1.fma(b, a71);
      a72 = w2.fma(b, a72);
    }
    // stored here, not by a helper: a vector passed to a method that is not inlined is boxed
    int step = L * Float.BYTES;
    int at;
    at = out.at((long) r * n + col);
    a00.intoByteBuffer(out.bytes, at, LE);
    a01.intoByteBuffer(out.bytes, at + step, LE);
    a02.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 1) * n + col);
    a10.intoByteBuffer(out.bytes, at, LE);
    a11.intoByteBuffer(out.bytes, at + step, LE);
    a12.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 2) * n + col);
    a20.intoByteBuffer(out.bytes, at, LE);
    a21.intoByteBuffer(out.bytes, at + step, LE);
    a22.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 3) * n + col);
    a30.intoByteBuffer(out.bytes, at, LE);
    a31.intoByteBuffer(out.bytes, at + step, LE);
    a32.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 4) * n + col);
    a40.intoByteBuffer(out.bytes, at, LE);
    a41.intoByteBuffer(out.bytes, at + step, LE);
    a42.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 5) * n + col);
    a50.intoByteBuffer(out.bytes, at, LE);
    a51.intoByteBuffer(out.bytes, at + step, LE);
    a52.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 6) * n + col);
    a60.intoByteBuffer(out.bytes, at, LE);
    a61.intoByteBuffer(out.bytes, at + step, LE);
    a62.intoByteBuffer(out.bytes, at + 2 * step, LE);
    at = out.at((long) (r + 7) * n + col);
    a70.intoByteBuffer(out.bytes, at, LE);
    a71.intoByteBuffer(out.bytes, at + step, LE);
    a72.intoByteBuffer(out.bytes, at + 2 * step, LE);
  }

  private static void fourRowsThreeVectors(FloatMemory out, float[] x, int r, int k,
      float[] panel, int base, int n, int col) {
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
      int at = base + i * 3 * L;
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
      float[] panel, int base, int n, int col) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      int at = base + i * 3 * L;
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
      float[] panel, int base, int n, int col) {
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
      int at = base + i * 2 * L;
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
      float[] panel, int base, int n, int col) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      int at = base + i * 2 * L;
      FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
      a0 = FloatVector.fromArray(F, panel, at).fma(b, a0);
      a1 = FloatVector.fromArray(F, panel, at + L).fma(b, a1);
    }
    int at = out.at((long) r * n + col);
    a0.intoByteBuffer(out.bytes, at, LE);
    a1.intoByteBuffer(out.bytes, at + L * Float.BYTES, LE);
  }

  private static void fourRowsOneVector(FloatMemory out, float[] x, int r, int k,
      float[] panel, int base, int n, int col) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int x0 = r * k;
    int x1 = x0 + k;
    int x2 = x1 + k;
    int x3 = x2 + k;
    for (int i = 0; i < k; i++) {
      FloatVector w0 = FloatVector.fromArray(F, panel, base + i * L);
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

  private static void oneRowOneVector(FloatMemory out, float[] x, int r, int k,
      float[] panel, int base, int n, int col) {
    FloatVector a = FloatVector.zero(F);
    int x0 = r * k;
    for (int i = 0; i < k; i++) {
      a = FloatVector.fromArray(F, panel, base + i * L).fma(FloatVector.broadcast(F, x[x0 + i]), a);
    }
    a.intoByteBuffer(out.bytes, out.at((long) r * n + col), LE);
  }
}
