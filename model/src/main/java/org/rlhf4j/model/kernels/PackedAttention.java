package org.rlhf4j.model.kernels;

import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention read straight from packed {@code qkv (B·T, 3C)} rows, one (sequence, head) at a time
 * through heap scratch that stays in cache; a query's scores, sums and gradients stop at its last
 * visible key.
 *
 * <p>Why: the heads-first path copied q, k, v and y into and out of (B, NH, T, HS) arrays and ran
 * batched products over the whole (T, T) square, of which a causal mask hides half; at S's
 * training shapes those copies cost as much as the exponentials (BENCHMARKS.md). Every sum here is
 * a fused multiply-add chain in a fixed order, so a result does not depend on the JIT, and
 * probabilities computed again for a backward equal the forward's bit for bit.
 */
final class PackedAttention {
  /** The longest sequence it takes: beyond, its two (T, T) planes no longer stay in L2. */
  static final int MAX_LENGTH = 128;
  /**
   * The most floats in one head's keys (T·HS): 16 KB, so they stay in L1 beside the values. At
   * 256 × 64 (M's and G's training heads) it lost to the batched products (BENCHMARKS.md).
   */
  static final int MAX_HEAD = 4096;

  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final int L = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private PackedAttention() {}

  /** Whether a call takes {@code t} positions of {@code hs}-wide heads. */
  static boolean fits(long t, long hs) {
    return t <= MAX_LENGTH && t * hs <= MAX_HEAD;
  }

  /**
   * {@code att (B, NH, T, T) = softmax(q·kᵀ/√HS + mask)} and, when {@code y (B·T, C)} is given,
   * head h's {@code att · v} into its columns {@code h·HS ..}; probabilities after a query's last
   * visible key are written as exact zeros.
   */
  static void forward(FloatMemory y, FloatMemory att, FloatMemory qkv, FloatMemory mask, int b,
      int t, int heads, int hs) {
    int c = heads * hs;
    int width = 3 * c;
    float scale = (float) (1.0 / Math.sqrt(hs));
    Scratch s = SCRATCH.get().fit(t, hs);
    for (int r = 0; r < b; r++) {
      long first = (long) r * t * width;
      for (int h = 0; h < heads; h++) {
        gatherRows(s.q, qkv, first + (long) h * hs, width, t, hs);
        gatherTransposed(s.kT, s.stride, s.out, qkv, first + c + (long) h * hs, width, t, hs);
        if (y != null) {
          gatherRows(s.v, qkv, first + 2L * c + (long) h * hs, width, t, hs);
        }
        long plane = ((long) r * heads + h) * t * t;
        for (int i = 0; i < t; i++) {
          long row = plane + (long) i * t;
          mask.get(row, s.mask, 0, t);
          int bound = visibleBound(s.mask, t);
          rowTimesColumns(s.row, s.q, i * hs, s.kT, s.stride, hs, bound);
          scaleAndMask(s.row, scale, s.mask, bound);
          att.put(row, s.row, 0, bound);
          VectorKernels.softmaxRow(att, att, row, bound);
          zero(att, row + bound, row + t);
          if (y != null) {
            att.get(row, s.row, 0, bound);
            weightedRows(s.out, s.row, 0, 1, 0, bound, s.v, hs);
            scatter(y, ((long) r * t + i) * c + (long) h * hs, s.out, hs, false);
          }
        }
      }
    }
  }

  /**
   * Backward of {@link #forward}: adds q's, k's and v's gradients into the thirds of
   * {@code dqkv (B·T, 3C)}, given {@code dy (B·T, C)} and the forward's {@code att}.
   */
  static void backward(FloatMemory dqkv, FloatMemory dy, FloatMemory qkv, FloatMemory att, int b,
      int t, int heads, int hs) {
    int c = heads * hs;
    int width = 3 * c;
    float scale = (float) (1.0 / Math.sqrt(hs));
    Scratch s = SCRATCH.get().fit(t, hs);
    for (int r = 0; r < b; r++) {
      long first = (long) r * t * width;
      for (int h = 0; h < heads; h++) {
        gatherRows(s.q, qkv, first + (long) h * hs, width, t, hs);
        gatherRows(s.k, qkv, first + c + (long) h * hs, width, t, hs);
        gatherTransposed(s.vT, s.stride, s.out, qkv, first + 2L * c + (long) h * hs, width, t, hs);
        gatherRows(s.dy, dy, (long) r * t * c + (long) h * hs, c, t, hs);
        long plane = ((long) r * heads + h) * t * t;
        for (int i = 0; i < t; i++) {
          att.get(plane + (long) i * t, s.a, i * s.stride, t);
        }
        Arrays.fill(s.firstRow, 0, t, t);
        // by query: the score gradient, dq, and which queries each key is seen by
        for (int i = 0; i < t; i++) {
          int at = i * s.stride;
          int bound = lastNonZero(s.a, at, t) + 1;
          rowTimesColumns(s.row, s.dy, i * hs, s.vT, s.stride, hs, bound);
          scoreGradient(s.dp, at, s.row, s.a, bound, t, scale);
          weightedRows(s.out, s.dp, at, 1, 0, bound, s.k, hs);
          scatter(dqkv, ((long) r * t + i) * width + (long) h * hs, s.out, hs, true);
          for (int j = 0; j < bound; j++) {
            s.firstRow[j] = Math.min(s.firstRow[j], i);
          }
        }
        // by key: dk and dv over the queries from the first that sees it (the rest add zeros)
        for (int j = 0; j < t; j++) {
          long out = ((long) r * t + j) * width + (long) h * hs;
          weightedRows(s.out, s.dp, j, s.stride, s.firstRow[j], t, s.q, hs);
          scatter(dqkv, out + c, s.out, hs, true);
          weightedRows(s.out, s.a, j, s.stride, s.firstRow[j], t, s.dy, hs);
          scatter(dqkv, out + 2L * c, s.out, hs, true);
        }
      }
    }
  }

  /** One past the last key the mask row shows (0 when it shows none). */
  private static int visibleBound(float[] mask, int t) {
    int j = t;
    while (j > 0 && mask[j - 1] == Float.NEGATIVE_INFINITY) {
      j--;
    }
    return j;
  }

  /** {@code m[from .. to) = 0}. */
  private static void zero(FloatMemory m, long from, long to) {
    long i = from;
    FloatVector zero = FloatVector.zero(F);
    for (; i + L <= to; i += L) {
      zero.intoByteBuffer(m.bytes, m.at(i), LE);
    }
    for (; i < to; i++) {
      m.put(i, 0f);
    }
  }

  private static int lastNonZero(float[] a, int at, int n) {
    int j = n - 1;
    while (j >= 0 && a[at + j] == 0f) {
      j--;
    }
    return j;
  }

  /**
   * {@code out[j] = Σ_d x[xAt + d] · yT[d·stride + j]} for {@code j < n} (and on to the next
   * multiple of 4 lanes·4, which {@code stride} leaves room for); the even and the odd d are two
   * chains, added at the end, so eight sums are in flight.
   */
  private static void rowTimesColumns(float[] out, float[] x, int xAt, float[] yT, int stride,
      int hs, int n) {
    for (int j = 0; j < n; j += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      FloatVector b0 = FloatVector.zero(F);
      FloatVector b1 = FloatVector.zero(F);
      FloatVector b2 = FloatVector.zero(F);
      FloatVector b3 = FloatVector.zero(F);
      int d = 0;
      for (; d + 2 <= hs; d += 2) {
        FloatVector xd = FloatVector.broadcast(F, x[xAt + d]);
        int at = d * stride + j;
        a0 = FloatVector.fromArray(F, yT, at).fma(xd, a0);
        a1 = FloatVector.fromArray(F, yT, at + L).fma(xd, a1);
        a2 = FloatVector.fromArray(F, yT, at + 2 * L).fma(xd, a2);
        a3 = FloatVector.fromArray(F, yT, at + 3 * L).fma(xd, a3);
        FloatVector xe = FloatVector.broadcast(F, x[xAt + d + 1]);
        at += stride;
        b0 = FloatVector.fromArray(F, yT, at).fma(xe, b0);
        b1 = FloatVector.fromArray(F, yT, at + L).fma(xe, b1);
        b2 = FloatVector.fromArray(F, yT, at + 2 * L).fma(xe, b2);
        b3 = FloatVector.fromArray(F, yT, at + 3 * L).fma(xe, b3);
      }
      for (; d < hs; d++) {
        FloatVector xd = FloatVector.broadcast(F, x[xAt + d]);
        int at = d * stride + j;
        a0 = FloatVector.fromArray(F, yT, at).fma(xd, a0);
        a1 = FloatVector.fromArray(F, yT, at + L).fma(xd, a1);
        a2 = FloatVector.fromArray(F, yT, at + 2 * L).fma(xd, a2);
        a3 = FloatVector.fromArray(F, yT, at + 3 * L).fma(xd, a3);
      }
      a0.add(b0).intoArray(out, j);
      a1.add(b1).intoArray(out, j + L);
      a2.add(b2).intoArray(out, j + 2 * L);
      a3.add(b3).intoArray(out, j + 3 * L);
    }
  }

  /**
   * {@code out[0..hs) = Σ_i w[wAt + i·stride] · rows[i·hs ..)} over {@code i ∈ [from, to)}: the
   * even and the odd i are two chains, added at the end; a tail of columns narrower than a vector
   * is one chain.
   */
  private static void weightedRows(float[] out, float[] w, int wAt, int stride, int from, int to,
      float[] rows, int hs) {
    int col = 0;
    for (; col + 4 * L <= hs; col += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      FloatVector b0 = FloatVector.zero(F);
      FloatVector b1 = FloatVector.zero(F);
      FloatVector b2 = FloatVector.zero(F);
      FloatVector b3 = FloatVector.zero(F);
      int i = from;
      for (; i + 2 <= to; i += 2) {
        FloatVector wi = FloatVector.broadcast(F, w[wAt + i * stride]);
        int at = i * hs + col;
        a0 = FloatVector.fromArray(F, rows, at).fma(wi, a0);
        a1 = FloatVector.fromArray(F, rows, at + L).fma(wi, a1);
        a2 = FloatVector.fromArray(F, rows, at + 2 * L).fma(wi, a2);
        a3 = FloatVector.fromArray(F, rows, at + 3 * L).fma(wi, a3);
        FloatVector wj = FloatVector.broadcast(F, w[wAt + (i + 1) * stride]);
        at += hs;
        b0 = FloatVector.fromArray(F, rows, at).fma(wj, b0);
        b1 = FloatVector.fromArray(F, rows, at + L).fma(wj, b1);
        b2 = FloatVector.fromArray(F, rows, at + 2 * L).fma(wj, b2);
        b3 = FloatVector.fromArray(F, rows, at + 3 * L).fma(wj, b3);
      }
      for (; i < to; i++) {
        FloatVector wi = FloatVector.broadcast(F, w[wAt + i * stride]);
        int at = i * hs + col;
        a0 = FloatVector.fromArray(F, rows, at).fma(wi, a0);
        a1 = FloatVector.fromArray(F, rows, at + L).fma(wi, a1);
        a2 = FloatVector.fromArray(F, rows, at + 2 * L).fma(wi, a2);
        a3 = FloatVector.fromArray(F, rows, at + 3 * L).fma(wi, a3);
      }
      a0.add(b0).intoArray(out, col);
      a1.add(b1).intoArray(out, col + L);
      a2.add(b2).intoArray(out, col + 2 * L);
      a3.add(b3).intoArray(out, col + 3 * L);
    }
    for (; col + L <= hs; col += L) {
      FloatVector a0 = FloatVector.zero(F);
      for (int i = from; i < to; i++) {
        a0 = FloatVector.fromArray(F, rows, i * hs + col)
            .fma(FloatVector.broadcast(F, w[wAt + i * stride]), a0);
      }
      a0.intoArray(out, col);
    }
    for (; col < hs; col++) {
      float acc = 0f;
      for (int i = from; i < to; i++) {
        acc = Math.fma(rows[i * hs + col], w[wAt + i * stride], acc);
      }
      out[col] = acc;
    }
  }

  /** {@code scores[j] = scores[j]·scale + mask[j]} for {@code j < n}. */
  private static void scaleAndMask(float[] scores, float scale, float[] mask, int n) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromArray(F, scores, j).mul(scale).add(FloatVector.fromArray(F, mask, j))
          .intoArray(scores, j);
    }
    for (; j < n; j++) {
      scores[j] = scores[j] * scale + mask[j];
    }
  }

  /**
   * The softmax's backward into {@code dp[at ..)}: {@code a ⊙ (datt − Σ datt ⊙ a)·scale} for
   * {@code j < n}, zeros up to {@code t}.
   */
  private static void scoreGradient(float[] dp, int at, float[] datt, float[] a, int n, int t,
      float scale) {
    FloatVector sum = FloatVector.zero(F);
    int j = 0;
    for (; j + L <= n; j += L) {
      sum = FloatVector.fromArray(F, datt, j).fma(FloatVector.fromArray(F, a, at + j), sum);
    }
    float dot = VectorMath.sum(sum);
    for (; j < n; j++) {
      dot = Math.fma(datt[j], a[at + j], dot);
    }
    j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromArray(F, datt, j).sub(dot).mul(FloatVector.fromArray(F, a, at + j))
          .mul(scale).intoArray(dp, at + j);
    }
    for (; j < n; j++) {
      dp[at + j] = (datt[j] - dot) * a[at + j] * scale;
    }
    Arrays.fill(dp, at + n, at + t, 0f);
  }

  /** {@code dst[i·hs ..) = m[first + i·width ..)} for each of {@code t} rows of {@code hs}. */
  private static void gatherRows(float[] dst, FloatMemory m, long first, int width, int t,
      int hs) {
    for (int i = 0; i < t; i++) {
      m.get(first + (long) i * width, dst, i * hs, hs);
    }
  }

  /** {@code dst[d·stride + i] = m[first + i·width + d]}: a head's rows, transposed. */
  private static void gatherTransposed(float[] dst, int stride, float[] row, FloatMemory m,
      long first, int width, int t, int hs) {
    for (int i = 0; i < t; i++) {
      m.get(first + (long) i * width, row, 0, hs);
      for (int d = 0; d < hs; d++) {
        dst[d * stride + i] = row[d];
      }
    }
  }

  /** {@code m[at .. at+n) = src}, or {@code +=} when {@code add}. */
  private static void scatter(FloatMemory m, long at, float[] src, int n, boolean add) {
    int i = 0;
    // one loop per case: a vector assigned in only one branch is merged, and C2 boxes it
    if (add) {
      for (; i + L <= n; i += L) {
        FloatVector.fromArray(F, src, i)
            .add(FloatVector.fromByteBuffer(F, m.bytes, m.at(at + i), LE))
            .intoByteBuffer(m.bytes, m.at(at + i), LE);
      }
      for (; i < n; i++) {
        m.put(at + i, m.get(at + i) + src[i]);
      }
    } else {
      m.put(at, src, 0, n);
    }
  }

  /** One thread's heads and planes, grown to the largest (T, HS) seen and never shrunk. */
  private static final class Scratch {
    float[] q = new float[0];
    float[] k = new float[0];
    float[] kT = new float[0];
    float[] v = new float[0];
    float[] vT = new float[0];
    float[] dy = new float[0];
    float[] a = new float[0];
    float[] dp = new float[0];
    float[] row = new float[0];
    float[] mask = new float[0];
    float[] out = new float[0];
    int[] firstRow = new int[0];

    /**
     * The row length of the transposed heads and of the (T, T) planes: T rounded up to whole
     * 4-vector blocks, plus one 64-byte cache line, so a column's elements fall into
     * different cache sets (at a power-of-two stride they shared a few and missed every time).
     */
    int stride;

    Scratch fit(int t, int hs) {
      int head = t * hs;
      stride = (t + 4 * L - 1) / (4 * L) * 4 * L + 16;
      if (q.length < head) {
        q = new float[head];
        k = new float[head];
        v = new float[head];
        dy = new float[head];
      }
      if (kT.length < stride * hs) {
        kT = new float[stride * hs];
        vT = new float[stride * hs];
      }
      if (a.length < t * stride) {
        a = new float[t * stride];
        dp = new float[t * stride];
      }
      if (row.length < stride) {
        row = new float[stride];
      }
      if (firstRow.length < t) {
        firstRow = new int[t];
        mask = new float[t];
      }
      if (out.length < hs) {
        out = new float[hs];
      }
      return this;
    }
  }
}
