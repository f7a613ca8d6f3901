package org.rlhf4j.model.kernels;

import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention read straight from packed {@code qkv (B·T, 3C)} rows, one (sequence, head) at a time
 * through heap scratch that stays in cache (a sequence's rows come in, and its output or gradient
 * rows go back, as one block copy each); a query's scores, sums and gradients stop at its last
 * visible key, and queries (keys, in the backward's second pass) go in fours, so each vector of
 * keys or values loaded from cache serves four rows (in pairs, the loads outnumbered the
 * multiply-adds' share of the core at M's shapes).
 *
 * <p>Why: the heads-first path copied q, k, v and y into and out of (B, NH, T, HS) arrays and ran
 * batched products over the whole (T, T) square, of which a causal mask hides half; at S's
 * training shapes those copies cost as much as the exponentials. This takes 0.4–0.7 of the time at
 * S's, M's and G's training shapes (BENCHMARKS.md). Every sum here is a fused multiply-add chain
 * in a fixed order, so a result does not depend on the JIT, and probabilities computed again for
 * a backward equal the forward's bit for bit.
 */
final class PackedAttention {
  /** The longest sequence it takes: the longest measured (M's and G's); scratch grows as T². */
  static final int MAX_LENGTH = 256;
  /** The most floats in one head's keys (T·HS); 256 × 64 is M's and G's training head. */
  static final int MAX_HEAD = 1 << 14;

  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final int L = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
  /** Queries (or keys) that share each load: four. */
  private static final int GROUP = 4;

  private PackedAttention() {}

  /** Whether a call takes {@code t} positions of {@code hs}-wide heads. */
  static boolean fits(long t, long hs) {
    return t <= MAX_LENGTH && t * hs <= MAX_HEAD;
  }

  /**
   * {@code att (B, NH, T, T) = softmax(q·kᵀ/√HS + mask)} and, when {@code y (B·T, C)} is given,
   * head h's {@code att · v} into its columns {@code h·HS ..}; probabilities after a query's last
   * visible key are written as exact zeros. {@code att} may be null when {@code y} is not: the
   * probabilities then live only in scratch (a backward computes them again).
   */
  static void forward(FloatMemory y, FloatMemory att, FloatMemory qkv, FloatMemory mask, int b,
      int t, int heads, int hs) {
    int c = heads * hs;
    int width = 3 * c;
    Scratch s = SCRATCH.get().fit(t, hs, width);
    for (int r = 0; r < b; r++) {
      qkv.get((long) r * t * width, s.block, 0, t * width); // the sequence's rows, one copy
      for (int h = 0; h < heads; h++) {
        gatherRows(s.q, s.block, h * hs, width, t, hs);
        gatherTransposed(s.kT, s.stride, s.block, c + h * hs, width, t, hs);
        if (y != null) {
          gatherRows(s.v, s.block, 2 * c + h * hs, width, t, hs);
        }
        long plane = ((long) r * heads + h) * t * t;
        // queries in fours, which share each load of the keys and values (past T, a group
        // repeats its last query and drops the repeats' results)
        for (int i = 0; i < t; i += GROUP) {
          int valid = Math.min(GROUP, t - i);
          int n = groupProbabilities(s, att, mask, plane, i, valid, t, hs);
          if (y != null) {
            weightedRows(s.out, s.rows, 0, slot(1, valid) * s.stride, slot(2, valid) * s.stride,
                slot(3, valid) * s.stride, 1, 0, n, s.v, hs);
            for (int g = 0; g < valid; g++) {
              System.arraycopy(s.out, g * hs, s.yBlock, (i + g) * c + h * hs, hs);
            }
          }
        }
      }
      if (y != null) {
        y.put((long) r * t * c, s.yBlock, 0, t * c);
      }
    }
  }

  /**
   * Queries {@code i .. i+valid)}'s probabilities over the keys in {@code s.kT}, query
   * {@code i+g}'s into {@code s.rows[g·stride ..)} with zeros up to the returned bound (the latest
   * of their last visible keys, plus one), and into {@code att}'s rows when given. Slots from
   * {@code valid} on hold the last query's scores, unused.
   */
  private static int groupProbabilities(Scratch s, FloatMemory att, FloatMemory mask, long plane,
      int i, int valid, int t, int hs) {
    float scale = (float) (1.0 / Math.sqrt(hs));
    int n = 0;
    for (int g = 0; g < valid; g++) {
      mask.get(plane + (long) (i + g) * t, s.mask, g * s.stride, t);
      s.bounds[g] = visibleBound(s.mask, g * s.stride, t);
      n = Math.max(n, s.bounds[g]);
    }
    rowTimesColumns(s.rows, s.stride, s.q, i * hs, (i + slot(1, valid)) * hs,
        (i + slot(2, valid)) * hs, (i + slot(3, valid)) * hs, s.kT, hs, n);
    for (int g = 0; g < valid; g++) {
      probabilities(att, plane + (long) (i + g) * t, s, g * s.stride, s.bounds[g], n, t, scale);
    }
    return n;
  }

  /** The slot a group of {@code valid} rows reads for its row {@code g}: itself, or its last. */
  private static int slot(int g, int valid) {
    return Math.min(g, valid - 1);
  }

  /**
   * One query's probabilities from its scores in {@code s.rows[at ..)}: scaled, masked (by
   * {@code s.mask[at ..)}) and softmaxed up to {@code bound}, zeros from there to {@code n}; also
   * into {@code att[row ..)}, zeros up to {@code t}, when it is given. The softmax runs in native
   * memory ({@code att}, or a scratch row) because the exp kernel reads and writes there.
   */
  private static void probabilities(FloatMemory att, long row, Scratch s, int at, int bound,
      int n, int t, float scale) {
    float[] rows = s.rows;
    scaleAndMask(rows, at, scale, s.mask, bound);
    FloatMemory target = att != null ? att : s.nativeRow;
    long first = att != null ? row : 0;
    target.put(first, rows, at, bound);
    VectorKernels.softmaxRow(target, target, first, bound);
    if (att != null) {
      zero(att, row + bound, row + t);
    }
    target.get(first, rows, at, bound);
    Arrays.fill(rows, at + bound, at + n, 0f);
  }

  /**
   * Backward of {@link #forward}: adds q's, k's and v's gradients into the thirds of
   * {@code dqkv (B·T, 3C)}, given {@code dy (B·T, C)} and the forward's {@code att}; when that is
   * null, each head's probabilities are computed again from {@code qkv} and {@code mask} as the
   * forward computed them (bit for bit), in scratch, so no (B, NH, T, T) array is needed.
   */
  static void backward(FloatMemory dqkv, FloatMemory dy, FloatMemory qkv, FloatMemory att,
      FloatMemory mask, int b, int t, int heads, int hs) {
    int c = heads * hs;
    int width = 3 * c;
    float scale = (float) (1.0 / Math.sqrt(hs));
    Scratch s = SCRATCH.get().fit(t, hs, width);
    for (int r = 0; r < b; r++) {
      long first = (long) r * t * width;
      qkv.get(first, s.block, 0, t * width);
      dy.get((long) r * t * c, s.yBlock, 0, t * c);
      Arrays.fill(s.gradBlock, 0, t * width, 0f); // the sequence's dqkv, added in at the end
      for (int h = 0; h < heads; h++) {
        gatherRows(s.q, s.block, h * hs, width, t, hs);
        gatherRows(s.k, s.block, c + h * hs, width, t, hs);
        gatherTransposed(s.vT, s.stride, s.block, 2 * c + h * hs, width, t, hs);
        gatherRows(s.dy, s.yBlock, h * hs, c, t, hs);
        long plane = ((long) r * heads + h) * t * t;
        if (att != null) {
          for (int i = 0; i < t; i++) {
            att.get(plane + (long) i * t, s.a, i * s.stride, t);
          }
        } else {
          recomputeProbabilities(s, mask, plane, t, hs, c + h * hs, width);
        }
        Arrays.fill(s.firstRow, 0, t, t);
        // by query, in fours: the score gradient, dq, and the first query that sees each key
        for (int i = 0; i < t; i += GROUP) {
          int valid = Math.min(GROUP, t - i);
          int n = 0;
          for (int g = 0; g < valid; g++) {
            s.bounds[g] = lastNonZero(s.a, (i + g) * s.stride, t) + 1;
            n = Math.max(n, s.bounds[g]);
          }
          rowTimesColumns(s.rows, s.stride, s.dy, i * hs, (i + slot(1, valid)) * hs,
              (i + slot(2, valid)) * hs, (i + slot(3, valid)) * hs, s.vT, hs, n);
          for (int g = 0; g < valid; g++) {
            scoreGradient(s.dp, (i + g) * s.stride, s.rows, g * s.stride, s.a, s.bounds[g], t,
                scale, s.lanes);
          }
          weightedRows(s.out, s.dp, i * s.stride, (i + slot(1, valid)) * s.stride,
              (i + slot(2, valid)) * s.stride, (i + slot(3, valid)) * s.stride, 1, 0, n, s.k, hs);
          for (int g = 0; g < valid; g++) {
            add(s.gradBlock, (i + g) * width + h * hs, s.out, g * hs, hs);
          }
          for (int j = 0; j < n; j++) {
            int g = 0;
            while (j >= s.bounds[g]) { // some query of the group sees key j, as j < n
              g++;
            }
            s.firstRow[j] = Math.min(s.firstRow[j], i + g);
          }
        }
        // by key, in fours: dk and dv over the queries from the first that sees any of them
        // (the rest add zeros)
        for (int j = 0; j < t; j += GROUP) {
          int valid = Math.min(GROUP, t - j);
          int from = t;
          for (int g = 0; g < valid; g++) {
            from = Math.min(from, s.firstRow[j + g]);
          }
          int j1 = j + slot(1, valid);
          int j2 = j + slot(2, valid);
          int j3 = j + slot(3, valid);
          weightedRows(s.out, s.dp, j, j1, j2, j3, s.stride, from, t, s.q, hs);
          for (int g = 0; g < valid; g++) {
            add(s.gradBlock, (j + g) * width + c + h * hs, s.out, g * hs, hs);
          }
          weightedRows(s.out, s.a, j, j1, j2, j3, s.stride, from, t, s.dy, hs);
          for (int g = 0; g < valid; g++) {
            add(s.gradBlock, (j + g) * width + 2 * c + h * hs, s.out, g * hs, hs);
          }
        }
      }
      addInto(dqkv, first, s.gradBlock, t * width);
    }
  }

  /**
   * One head's probabilities into {@code s.a}'s rows (zeros after each query's last visible key),
   * from {@code s.q} and the keys at column {@code keys} of {@code s.block}.
   */
  private static void recomputeProbabilities(Scratch s, FloatMemory mask, long plane, int t,
      int hs, int keys, int width) {
    gatherTransposed(s.kT, s.stride, s.block, keys, width, t, hs);
    for (int i = 0; i < t; i += GROUP) {
      int valid = Math.min(GROUP, t - i);
      int n = groupProbabilities(s, null, mask, plane, i, valid, t, hs);
      for (int g = 0; g < valid; g++) {
        int row = (i + g) * s.stride;
        System.arraycopy(s.rows, g * s.stride, s.a, row, n);
        Arrays.fill(s.a, row + n, row + t, 0f);
      }
    }
  }

  /** One past the last key the mask row {@code mask[at .. at+t)} shows (0 when it shows none). */
  private static int visibleBound(float[] mask, int at, int t) {
    int j = t;
    while (j > 0 && mask[at + j - 1] == Float.NEGATIVE_INFINITY) {
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
   * Four rows of scores: {@code out[g·stride + j] = Σ_d x[x_g + d] · yT[d·stride + j]} for
   * {@code j < n} (and on to the next whole 4-vector block, which {@code stride} leaves room
   * for); each a chain over d.
   */
  private static void rowTimesColumns(float[] out, int stride, float[] x, int x0, int x1, int x2,
      int x3, float[] yT, int hs, int n) {
    int j = 0;
    if (VectorMath.WIDE_REGISTERS) { // sixteen accumulators
      for (; j < n; j += 4 * L) {
        fourByFourVectors(out, stride, j, yT, j, stride, x, x0, x1, x2, x3, 1, 0, hs);
      }
    }
    for (; j < n; j += 2 * L) {
      fourByTwoVectors(out, stride, j, yT, j, stride, x, x0, x1, x2, x3, 1, 0, hs);
    }
  }

  /**
   * Four weighted sums of rows: {@code out[g·hs ..) = Σ_i w[w_g + i·stride] · rows[i·hs ..)} over
   * {@code i ∈ [from, to)}; each element a chain over i.
   */
  private static void weightedRows(float[] out, float[] w, int w0, int w1, int w2, int w3,
      int stride, int from, int to, float[] rows, int hs) {
    int col = 0;
    if (VectorMath.WIDE_REGISTERS) { // sixteen accumulators
      for (; col + 4 * L <= hs; col += 4 * L) {
        fourByFourVectors(out, hs, col, rows, col, hs, w, w0, w1, w2, w3, stride, from, to);
      }
    }
    for (; col + 2 * L <= hs; col += 2 * L) {
      fourByTwoVectors(out, hs, col, rows, col, hs, w, w0, w1, w2, w3, stride, from, to);
    }
    for (; col + L <= hs; col += L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector b0 = FloatVector.zero(F);
      FloatVector c0 = FloatVector.zero(F);
      FloatVector d0 = FloatVector.zero(F);
      for (int i = from; i < to; i++) {
        FloatVector r0 = FloatVector.fromArray(F, rows, i * hs + col);
        a0 = r0.fma(FloatVector.broadcast(F, w[w0 + i * stride]), a0);
        b0 = r0.fma(FloatVector.broadcast(F, w[w1 + i * stride]), b0);
        c0 = r0.fma(FloatVector.broadcast(F, w[w2 + i * stride]), c0);
        d0 = r0.fma(FloatVector.broadcast(F, w[w3 + i * stride]), d0);
      }
      a0.intoArray(out, col);
      b0.intoArray(out, hs + col);
      c0.intoArray(out, 2 * hs + col);
      d0.intoArray(out, 3 * hs + col);
    }
    for (; col < hs; col++) {
      float a = 0f;
      float b = 0f;
      float c = 0f;
      float d = 0f;
      for (int i = from; i < to; i++) {
        float r = rows[i * hs + col];
        a = Math.fma(r, w[w0 + i * stride], a);
        b = Math.fma(r, w[w1 + i * stride], b);
        c = Math.fma(r, w[w2 + i * stride], c);
        d = Math.fma(r, w[w3 + i * stride], d);
      }
      out[col] = a;
      out[hs + col] = b;
      out[2 * hs + col] = c;
      out[3 * hs + col] = d;
    }
  }

  /**
   * The shape both products here take, four rows by four vectors (sixteen accumulators, for 32
   * registers): {@code out[g·outStride + at + c] = Σ_{i ∈ [from, to)} s[s_g + i·sStep] ·
   * y[yBase + i·yStep + c]} for {@code g < 4, c < 4L}; each element a chain over i.
   */
  private static void fourByFourVectors(float[] out, int outStride, int at, float[] y, int yBase,
      int yStep, float[] s, int s0, int s1, int s2, int s3, int sStep, int from, int to) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector b2 = FloatVector.zero(F);
    FloatVector b3 = FloatVector.zero(F);
    FloatVector c0 = FloatVector.zero(F);
    FloatVector c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F);
    FloatVector c3 = FloatVector.zero(F);
    FloatVector d0 = FloatVector.zero(F);
    FloatVector d1 = FloatVector.zero(F);
    FloatVector d2 = FloatVector.zero(F);
    FloatVector d3 = FloatVector.zero(F);
    for (int i = from; i < to; i++) {
      int yi = yBase + i * yStep;
      FloatVector y0 = FloatVector.fromArray(F, y, yi);
      FloatVector y1 = FloatVector.fromArray(F, y, yi + L);
      FloatVector y2 = FloatVector.fromArray(F, y, yi + 2 * L);
      FloatVector y3 = FloatVector.fromArray(F, y, yi + 3 * L);
      FloatVector e = FloatVector.broadcast(F, s[s0 + i * sStep]);
      a0 = y0.fma(e, a0);
      a1 = y1.fma(e, a1);
      a2 = y2.fma(e, a2);
      a3 = y3.fma(e, a3);
      e = FloatVector.broadcast(F, s[s1 + i * sStep]);
      b0 = y0.fma(e, b0);
      b1 = y1.fma(e, b1);
      b2 = y2.fma(e, b2);
      b3 = y3.fma(e, b3);
      e = FloatVector.broadcast(F, s[s2 + i * sStep]);
      c0 = y0.fma(e, c0);
      c1 = y1.fma(e, c1);
      c2 = y2.fma(e, c2);
      c3 = y3.fma(e, c3);
      e = FloatVector.broadcast(F, s[s3 + i * sStep]);
      d0 = y0.fma(e, d0);
      d1 = y1.fma(e, d1);
      d2 = y2.fma(e, d2);
      d3 = y3.fma(e, d3);
    }
    // stored here, not by a helper: a vector passed to a method that is not inlined is boxed
    a0.intoArray(out, at);
    a1.intoArray(out, at + L);
    a2.intoArray(out, at + 2 * L);
    a3.intoArray(out, at + 3 * L);
    b0.intoArray(out, outStride + at);
    b1.intoArray(out, outStride + at + L);
    b2.intoArray(out, outStride + at + 2 * L);
    b3.intoArray(out, outStride + at + 3 * L);
    c0.intoArray(out, 2 * outStride + at);
    c1.intoArray(out, 2 * outStride + at + L);
    c2.intoArray(out, 2 * outStride + at + 2 * L);
    c3.intoArray(out, 2 * outStride + at + 3 * L);
    d0.intoArray(out, 3 * outStride + at);
    d1.intoArray(out, 3 * outStride + at + L);
    d2.intoArray(out, 3 * outStride + at + 2 * L);
    d3.intoArray(out, 3 * outStride + at + 3 * L);
  }

  /** {@link #fourByFourVectors} over two vectors: eight accumulators, for 16 registers. */
  private static void fourByTwoVectors(float[] out, int outStride, int at, float[] y, int yBase,
      int yStep, float[] s, int s0, int s1, int s2, int s3, int sStep, int from, int to) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector c0 = FloatVector.zero(F);
    FloatVector c1 = FloatVector.zero(F);
    FloatVector d0 = FloatVector.zero(F);
    FloatVector d1 = FloatVector.zero(F);
    for (int i = from; i < to; i++) {
      int yi = yBase + i * yStep;
      FloatVector y0 = FloatVector.fromArray(F, y, yi);
      FloatVector y1 = FloatVector.fromArray(F, y, yi + L);
      FloatVector e = FloatVector.broadcast(F, s[s0 + i * sStep]);
      a0 = y0.fma(e, a0);
      a1 = y1.fma(e, a1);
      e = FloatVector.broadcast(F, s[s1 + i * sStep]);
      b0 = y0.fma(e, b0);
      b1 = y1.fma(e, b1);
      e = FloatVector.broadcast(F, s[s2 + i * sStep]);
      c0 = y0.fma(e, c0);
      c1 = y1.fma(e, c1);
      e = FloatVector.broadcast(F, s[s3 + i * sStep]);
      d0 = y0.fma(e, d0);
      d1 = y1.fma(e, d1);
    }
    a0.intoArray(out, at);
    a1.intoArray(out, at + L);
    b0.intoArray(out, outStride + at);
    b1.intoArray(out, outStride + at + L);
    c0.intoArray(out, 2 * outStride + at);
    c1.intoArray(out, 2 * outStride + at + L);
    d0.intoArray(out, 3 * outStride + at);
    d1.intoArray(out, 3 * outStride + at + L);
  }

  /** {@code scores[at + j] = scores[at + j]·scale + mask[at + j]} for {@code j < n}. */
  private static void scaleAndMask(float[] scores, int at, float scale, float[] mask, int n) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromArray(F, scores, at + j).mul(scale)
          .add(FloatVector.fromArray(F, mask, at + j)).intoArray(scores, at + j);
    }
    for (; j < n; j++) {
      scores[at + j] = scores[at + j] * scale + mask[at + j];
    }
  }

  /**
   * The softmax's backward into {@code dp[at ..)}: {@code a ⊙ (datt − Σ datt ⊙ a)·scale} for
   * {@code j < n}, with {@code datt} from {@code datt[from ..)}; zeros up to {@code t}.
   */
  private static void scoreGradient(float[] dp, int at, float[] datt, int from, float[] a, int n,
      int t, float scale, float[] lanes) {
    FloatVector sum = FloatVector.zero(F);
    int j = 0;
    for (; j + L <= n; j += L) {
      sum = FloatVector.fromArray(F, datt, from + j).fma(FloatVector.fromArray(F, a, at + j), sum);
    }
    // through memory, not VectorMath.sum(sum): a vector handed to a call that C2 did not inline
    // is boxed, and whether it inlines depends on what was compiled first (KernelHeapTest saw
    // one vector a query row in about every other run of the module's tests)
    VectorMath.exact(sum).intoArray(lanes, 0);
    float dot = VectorMath.sumInOrder(lanes);
    for (; j < n; j++) {
      dot = Math.fma(datt[from + j], a[at + j], dot);
    }
    j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromArray(F, datt, from + j).sub(dot).mul(FloatVector.fromArray(F, a, at + j))
          .mul(scale).intoArray(dp, at + j);
    }
    for (; j < n; j++) {
      dp[at + j] = (datt[from + j] - dot) * a[at + j] * scale;
    }
    Arrays.fill(dp, at + n, at + t, 0f);
  }

  /** {@code dst[i·hs ..) = block[first + i·width ..)} for each of {@code t} rows of {@code hs}. */
  private static void gatherRows(float[] dst, float[] block, int first, int width, int t,
      int hs) {
    for (int i = 0; i < t; i++) {
      System.arraycopy(block, first + i * width, dst, i * hs, hs);
    }
  }

  /** {@code dst[d·stride + i] = block[first + i·width + d]}: a head's rows, transposed. */
  private static void gatherTransposed(float[] dst, int stride, float[] block, int first,
      int width, int t, int hs) {
    for (int i = 0; i < t; i++) {
      int row = first + i * width;
      for (int d = 0; d < hs; d++) {
        dst[d * stride + i] = block[row + d];
      }
    }
  }

  /** {@code dst[at .. at+n) += src[from ..)}. */
  private static void add(float[] dst, int at, float[] src, int from, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(F, src, from + i).add(FloatVector.fromArray(F, dst, at + i))
          .intoArray(dst, at + i);
    }
    for (; i < n; i++) {
      dst[at + i] += src[from + i];
    }
  }

  /** {@code m[at .. at+n) += src[0 .. n)}. */
  private static void addInto(FloatMemory m, long at, float[] src, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(F, src, i)
          .add(FloatVector.fromByteBuffer(F, m.bytes, m.at(at + i), LE))
          .intoByteBuffer(m.bytes, m.at(at + i), LE);
    }
    for (; i < n; i++) {
      m.put(at + i, m.get(at + i) + src[i]);
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
    float[] rows = new float[0]; // a group's rows of scores, probabilities or their gradients
    float[] mask = new float[0];
    FloatMemory nativeRow = FloatMemory.direct(0); // a probability row's softmax, off-heap
    float[] out = new float[0];
    float[] block = new float[0]; // a sequence's qkv rows
    float[] yBlock = new float[0]; // a sequence's y rows, or dy rows in the backward
    float[] gradBlock = new float[0]; // a sequence's dqkv rows
    int[] firstRow = new int[0];
    final int[] bounds = new int[GROUP]; // a group's rows' visible (or non-zero) bounds
    final float[] lanes = new float[L]; // one vector's lanes, summed in order

    /**
     * The row length of the transposed heads and of the (T, T) planes: T rounded up to whole
     * 4-vector blocks, plus one 64-byte cache line, so a column's elements fall into
     * different cache sets (at a power-of-two stride they shared a few and missed every time).
     */
    int stride;

    Scratch fit(int t, int hs, int width) {
      int head = t * hs;
      if (block.length < t * width) {
        block = new float[t * width];
        gradBlock = new float[t * width];
        yBlock = new float[t * width / 3];
      }
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
      if (rows.length < GROUP * stride) {
        rows = new float[GROUP * stride];
        mask = new float[GROUP * stride];
        nativeRow = FloatMemory.direct(stride);
      }
      if (firstRow.length < t) {
        firstRow = new int[t];
      }
      if (out.length < GROUP * hs) {
        out = new float[GROUP * hs];
      }
      return this;
    }
  }
}
