package org.rlhf4j.model.kernels;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.rlhf4j.model.TensorThreads;

/**
 * A decode step's logits for a few rows, {@code out (R, N) = x (R, K) · wᵀ} with {@code w (N, K)}
 * a tied output layer's embedding, each element summed as ND4J's product sums it at 2 to 15 rows
 * on 16-lane hosts: lane l takes k = l, l + 16, ... as one multiply-add chain from zero, then the
 * lanes are added as a tree (l + 8, l + 4, l + 2, l + 1). Vectors run across sixteen columns, so
 * a lane's chains are one vector and the tree adds whole vectors; the embedding is packed once
 * ({@link FrozenWeights}) in the order the chains read it.
 *
 * <p>Why: the demo's samples are tied to these bits (BENCHMARKS.md, sessions 22–24), and ND4J
 * took 0.34 ms for 8 × 128 × 8192, most of a rollout worker's decode step; this takes half.
 * Whether ND4J sums in this order on this host is learned per shape from its first product
 * ({@link #learn}).
 */
final class LaneTreeLogits {
  /** Lanes of the order reproduced here: ND4J's on AVX-512. */
  static final int LANES = 16;

  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final int HALF = LANES / 2;
  /** Columns of a block: two vectors, so that each broadcast feeds two multiply-adds. */
  private static final int BLOCK = 2 * LANES;
  /** The tree's first level (lanes l and l + 8 added) of four rows × two vectors. */
  private static final ThreadLocal<float[]> FIRST_LEVEL =
      ThreadLocal.withInitial(() -> new float[4 * 2 * HALF * LANES]);
  /** A product's rows, then copied out whole (up to 15 × N floats per sampling thread). */
  private static final ThreadLocal<float[]> OUTPUT = ThreadLocal.withInitial(() -> new float[0]);
  /** Per shape: whether ND4J's product gave this order's bits on its first call here. */
  private static final Map<Shape, Boolean> AGREES = new ConcurrentHashMap<>();

  /**
   * A product's shape and the thread counts ND4J ran it with: a verdict learned with one count is
   * not taken for another, in case ND4J splits a product otherwise.
   */
  private record Shape(long rows, long k, long n, int gemmThreads, int blasThreads) {
    static Shape of(long rows, long k, long n) {
      return new Shape(rows, k, n, TensorThreads.currentThread(), TensorThreads.blasThreads());
    }
  }

  private LaneTreeLogits() {}

  /** Whether this order may apply: 2 to 15 rows, whole lanes of K, 16-lane vectors. */
  static boolean applies(long rows, long k, long n) {
    return F.length() == LANES && rows >= 2 && rows < VectorKernels.PACKED_HEAD_ROWS
        && k > 0 && k % LANES == 0 && n >= LANES && rows * n <= Integer.MAX_VALUE
        && k * n <= Integer.MAX_VALUE / Float.BYTES; // FloatMemory's byte offsets are ints
  }

  /**
   * Whether ND4J sums a product of this shape in this order, once known: null until {@link
   * #learn} has compared a product of this shape.
   */
  static Boolean agreesWithNd4j(long rows, long k, long n) {
    return AGREES.get(Shape.of(rows, k, n));
  }

  /**
   * Records whether {@code nd4j}, ND4J's product of {@code x} and the embedding {@code w} (also
   * packed, {@code packed}), holds this order's bits in every element; returns it. Once one call
   * found otherwise, the shape stays with ND4J.
   */
  static boolean learn(FloatMemory nd4j, FloatMemory x, FloatMemory w, Packed packed, int rows) {
    float[] mine = product(x, w, packed, rows);
    boolean same = true;
    for (int i = 0; i < rows * packed.n && same; i++) {
      same = Float.floatToRawIntBits(mine[i]) == Float.floatToRawIntBits(nd4j.get(i));
    }
    return AGREES.merge(Shape.of(rows, packed.k, packed.n), same, Boolean::logicalAnd);
  }

  /** Forgets what {@link #learn} recorded (tests). */
  static void forget() {
    AGREES.clear();
  }

  /**
   * The embedding {@code w (N, K)} in the order the chains read it, into {@code into} when given
   * (K·N floats): for each block of two vectors of columns (then one of one), for each l < 8 and
   * each k = l, l + 16, ..., the block's weights at k and then at k + 8. Columns past the last
   * whole vector are read from {@code w} itself.
   */
  static Packed pack(FloatMemory w, int n, int k, float[] into) {
    float[] data = into != null ? into : new float[Math.multiplyExact(k, n)];
    float[] row = new float[k];
    int whole = n - n % LANES;
    for (int col = 0; col < whole; col += blockWidth(whole - col)) {
      int width = blockWidth(whole - col);
      int base = col * k;
      for (int j = 0; j < width; j++) {
        w.get((long) (col + j) * k, row, 0, k);
        int at = base + j;
        for (int l = 0; l < HALF; l++) {
          for (int i = l; i < k; i += LANES, at += 2 * width) {
            data[at] = row[i];
            data[at + width] = row[i + HALF];
          }
        }
      }
    }
    return new Packed(data, k, n);
  }

  /** An embedding packed by {@link #pack}. */
  static final class Packed {
    final float[] data;
    final int k;
    final int n;

    private Packed(float[] data, int k, int n) {
      this.data = data;
      this.k = k;
      this.n = n;
    }
  }

  private static int blockWidth(int left) {
    return left >= BLOCK ? BLOCK : LANES;
  }

  /** {@code out (R, N) = x (R, K) · wᵀ} in this order, {@code w} also given packed. */
  static void forward(FloatMemory out, FloatMemory inp, FloatMemory w, Packed packed, int rows) {
    out.put(0, product(inp, w, packed, rows), 0, rows * packed.n);
  }

  /** The product into the calling thread's heap array (R·N floats), valid until its next call. */
  private static float[] product(FloatMemory inp, FloatMemory w, Packed packed, int rows) {
    int k = packed.k;
    int n = packed.n;
    float[] x = FewRowMatmul.rowsOnHeap(inp, rows, k);
    float[] o = OUTPUT.get();
    if (o.length < rows * n) {
      o = new float[rows * n];
      OUTPUT.set(o);
    }
    int whole = n - n % LANES;
    for (int col = 0; col < whole; col += blockWidth(whole - col)) {
      int width = blockWidth(whole - col);
      int at = col * k;
      int r = 0;
      for (; r + 4 <= rows && width == BLOCK; r += 4) {
        fourRowsTwoVectors(o, x, r, k, packed.data, at, n, col);
      }
      for (; r < rows; r++) {
        if (width == BLOCK) {
          oneRowTwoVectors(o, x, r, k, packed.data, at, n, col);
        } else {
          oneRowOneVector(o, x, r, k, packed.data, at, n, col);
        }
      }
    }
    for (int c = whole; c < n; c++) {
      lastColumn(o, x, rows, k, w, n, c);
    }
    return o;
  }

  /**
   * Rows r..r+3 of a block of two vectors of columns from {@code col} (packed at {@code at}):
   * lane l and l + 8's chains of each row and vector, added, then the rest of the tree.
   */
  private static void fourRowsTwoVectors(float[] out, float[] x, int r, int k, float[] w, int at,
      int n, int col) {
    float[] first = FIRST_LEVEL.get();
    int x0 = r * k;
    int x1 = x0 + k;
    int x2 = x1 + k;
    int x3 = x2 + k;
    int e = at;
    for (int l = 0; l < HALF; l++) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      FloatVector b0 = a0;
      FloatVector b1 = a0;
      FloatVector b2 = a0;
      FloatVector b3 = a0;
      FloatVector c0 = a0;
      FloatVector c1 = a0;
      FloatVector c2 = a0;
      FloatVector c3 = a0;
      FloatVector d0 = a0;
      FloatVector d1 = a0;
      FloatVector d2 = a0;
      FloatVector d3 = a0;
      for (int i = l; i < k; i += LANES, e += 2 * BLOCK) {
        FloatVector lower0 = FloatVector.fromArray(F, w, e);
        FloatVector lower1 = FloatVector.fromArray(F, w, e + LANES);
        FloatVector upper0 = FloatVector.fromArray(F, w, e + BLOCK);
        FloatVector upper1 = FloatVector.fromArray(F, w, e + BLOCK + LANES);
        FloatVector s = FloatVector.broadcast(F, x[x0 + i]);
        a0 = s.fma(lower0, a0);
        c0 = s.fma(lower1, c0);
        s = FloatVector.broadcast(F, x[x0 + i + HALF]);
        b0 = s.fma(upper0, b0);
        d0 = s.fma(upper1, d0);
        s = FloatVector.broadcast(F, x[x1 + i]);
        a1 = s.fma(lower0, a1);
        c1 = s.fma(lower1, c1);
        s = FloatVector.broadcast(F, x[x1 + i + HALF]);
        b1 = s.fma(upper0, b1);
        d1 = s.fma(upper1, d1);
        s = FloatVector.broadcast(F, x[x2 + i]);
        a2 = s.fma(lower0, a2);
        c2 = s.fma(lower1, c2);
        s = FloatVector.broadcast(F, x[x2 + i + HALF]);
        b2 = s.fma(upper0, b2);
        d2 = s.fma(upper1, d2);
        s = FloatVector.broadcast(F, x[x3 + i]);
        a3 = s.fma(lower0, a3);
        c3 = s.fma(lower1, c3);
        s = FloatVector.broadcast(F, x[x3 + i + HALF]);
        b3 = s.fma(upper0, b3);
        d3 = s.fma(upper1, d3);
      }
      // lane l's first-level sum of row i's vector v at ((2i + v) · 8 + l) · 16
      a0.add(b0).intoArray(first, l * LANES);
      c0.add(d0).intoArray(first, (HALF + l) * LANES);
      a1.add(b1).intoArray(first, (2 * HALF + l) * LANES);
      c1.add(d1).intoArray(first, (3 * HALF + l) * LANES);
      a2.add(b2).intoArray(first, (4 * HALF + l) * LANES);
      c2.add(d2).intoArray(first, (5 * HALF + l) * LANES);
      a3.add(b3).intoArray(first, (6 * HALF + l) * LANES);
      c3.add(d3).intoArray(first, (7 * HALF + l) * LANES);
    }
    for (int i = 0; i < 4; i++) {
      int row = (r + i) * n + col;
      restOfTree(first, 2 * i * HALF * LANES, out, row);
      restOfTree(first, (2 * i + 1) * HALF * LANES, out, row + LANES);
    }
  }

  /** Row r of a block of two vectors of columns from {@code col}, as above. */
  private static void oneRowTwoVectors(float[] out, float[] x, int r, int k, float[] w, int at,
      int n, int col) {
    float[] first = FIRST_LEVEL.get();
    int x0 = r * k;
    int e = at;
    for (int l = 0; l < HALF; l++) {
      FloatVector a = FloatVector.zero(F);
      FloatVector b = a;
      FloatVector c = a;
      FloatVector d = a;
      for (int i = l; i < k; i += LANES, e += 2 * BLOCK) {
        FloatVector s = FloatVector.broadcast(F, x[x0 + i]);
        a = s.fma(FloatVector.fromArray(F, w, e), a);
        c = s.fma(FloatVector.fromArray(F, w, e + LANES), c);
        s = FloatVector.broadcast(F, x[x0 + i + HALF]);
        b = s.fma(FloatVector.fromArray(F, w, e + BLOCK), b);
        d = s.fma(FloatVector.fromArray(F, w, e + BLOCK + LANES), d);
      }
      a.add(b).intoArray(first, l * LANES);
      c.add(d).intoArray(first, (HALF + l) * LANES);
    }
    restOfTree(first, 0, out, r * n + col);
    restOfTree(first, HALF * LANES, out, r * n + col + LANES);
  }

  /** Row r of the last block, one vector of columns from {@code col}, as above. */
  private static void oneRowOneVector(float[] out, float[] x, int r, int k, float[] w, int at,
      int n, int col) {
    float[] first = FIRST_LEVEL.get();
    int x0 = r * k;
    int e = at;
    for (int l = 0; l < HALF; l++) {
      FloatVector a = FloatVector.zero(F);
      FloatVector b = a;
      for (int i = l; i < k; i += LANES, e += 2 * LANES) {
        a = FloatVector.broadcast(F, x[x0 + i]).fma(FloatVector.fromArray(F, w, e), a);
        b = FloatVector.broadcast(F, x[x0 + i + HALF]).fma(FloatVector.fromArray(F, w, e + LANES),
            b);
      }
      a.add(b).intoArray(first, l * LANES);
    }
    restOfTree(first, 0, out, r * n + col);
  }

  /**
   * The tree's last three levels over the first-level sums at {@code first[from ..)} (lane l's at
   * {@code from + 16l}), into sixteen columns at {@code out[at]}.
   */
  private static void restOfTree(float[] first, int from, float[] out, int at) {
    FloatVector s0 = FloatVector.fromArray(F, first, from)
        .add(FloatVector.fromArray(F, first, from + 4 * LANES));
    FloatVector s1 = FloatVector.fromArray(F, first, from + LANES)
        .add(FloatVector.fromArray(F, first, from + 5 * LANES));
    FloatVector s2 = FloatVector.fromArray(F, first, from + 2 * LANES)
        .add(FloatVector.fromArray(F, first, from + 6 * LANES));
    FloatVector s3 = FloatVector.fromArray(F, first, from + 3 * LANES)
        .add(FloatVector.fromArray(F, first, from + 7 * LANES));
    s0.add(s2).add(s1.add(s3)).intoArray(out, at);
  }

  /** Column c past the last whole vector, one row at a time in scalar arithmetic. */
  private static void lastColumn(float[] out, float[] x, int rows, int k, FloatMemory w, int n,
      int c) {
    float[] lanes = FIRST_LEVEL.get();
    for (int r = 0; r < rows; r++) {
      Arrays.fill(lanes, 0, LANES, 0f);
      for (int i = 0; i < k; i++) {
        lanes[i % LANES] = Math.fma(x[r * k + i], w.get((long) c * k + i), lanes[i % LANES]);
      }
      for (int d = HALF; d >= 1; d /= 2) {
        for (int l = 0; l < d; l++) {
          lanes[l] += lanes[l + d];
        }
      }
      out[r * n + c] = lanes[0];
    }
  }
}
