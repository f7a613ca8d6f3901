package org.rlhf4j.model.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of a decode pass's queries over the decoder's KV cache, read in place. The key
 * cache is stored in blocks of {@link Kernels#KEY_BLOCK} positions, each block transposed,
 * {@code (B, NH, S/16, HS, 16)}: the scores of L keys are then one vector, summed over the
 * head's HS dimensions by multiply-adds, and a block is one contiguous run of memory. The
 * weighted sum of values multiply-adds each value row. No score and no output ends in a sum
 * across a vector's lanes (the softmax's total still does), and every sum has a fixed order, so
 * a result does not depend on the JIT.
 *
 * <p>Why: with keys stored by position, each score was a dot product ending in a sum across
 * its vector's lanes, which took more than its multiply-adds (a sixth of S's decode step with
 * 16 lanes). Keys transposed over the whole cache made those sums go away but made G's decode
 * attention a quarter slower: its cache does not fit in cache, and reading the first columns
 * of each long row pulled in the neighbouring, unread lines; blocks are read whole. A query
 * stops at its last visible key, so the cache's unfilled tail costs nothing; masked keys
 * before it (a prompt's padding) cost their multiply-adds and get probability 0.
 */
final class CachedAttention {
  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final int L = F.length();
  private static final int BLOCK = Kernels.KEY_BLOCK;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ThreadLocal<FloatMemory[]> SCORES =
      ThreadLocal.withInitial(() -> new FloatMemory[] {FloatMemory.direct(0),
          FloatMemory.direct(0)});

  private static final ThreadLocal<float[]> HEAP = ThreadLocal.withInitial(() -> new float[0]);

  private CachedAttention() {}

  /** Whether this host's vectors tile a key block: up to 16 lanes of float. */
  static boolean fits() {
    return BLOCK % L == 0;
  }

  /**
   * {@code y (B, NH, T, HS) = softmax(q·kᵀ/√HS + mask) · v} and {@code att (B, NH, T, S)} its
   * probabilities (0 where masked; not written when {@code att} is null), for
   * {@code q (B, NH, T, HS)}, the key cache {@code keys (B, NH, S/16, HS, 16)} of {@code blocks}
   * blocks, {@code v (B, NH, S, HS)} and {@code mask (B, NH, T, S)} of 0 or −∞;
   * {@code heads} = B·NH; all dense.
   *
   * <p>Heads go two at a time where their queries see the same keys (every head of a decode
   * step does): one chain of multiply-adds waits on the last, so two heads' chains side by side
   * fill the pipeline that one leaves half idle. Each element's chain is the one a head alone
   * takes, so the bits do not depend on the pairing.
   */
  static void forward(FloatMemory y, FloatMemory att, FloatMemory q, FloatMemory keys,
      FloatMemory v, FloatMemory mask, int heads, int t, int hs, int s, int blocks) {
    Shape shape = new Shape(t, hs, s, blocks, (float) (1.0 / Math.sqrt(hs)));
    FloatMemory[] scratch = scratch(s);
    for (int h = 0; h < heads; h += 2) {
      for (int i = 0; i < t; i++) {
        int end = visibleEnd(mask, shape, h, i);
        if (h + 1 < heads) {
          int other = visibleEnd(mask, shape, h + 1, i);
          if (other == end) {
            attendPair(y, att, q, keys, v, mask, shape, h, i, end, scratch);
            continue;
          }
          attend(y, att, q, keys, v, mask, shape, h + 1, i, other, scratch[0]);
        }
        attend(y, att, q, keys, v, mask, shape, h, i, end, scratch[0]);
      }
    }
  }

  /** One call's sizes, shared by every query. */
  private record Shape(int t, int hs, int s, int blocks, float scale) {
    long row(int h, int i) { // a query's mask and probabilities
      return ((long) h * t + i) * s;
    }

    long query(int h, int i) { // a query's vector and output
      return ((long) h * t + i) * hs;
    }

    long keys(int h) {
      return (long) h * blocks * hs * BLOCK;
    }

    long values(int h) {
      return (long) h * s * hs;
    }

    /**
     * Keys scored for a query that sees up to {@code end}: whole vectors up to its last visible
     * key where the cache has them; the keys after it are masked, so they cost a few
     * multiply-adds and get probability 0, not a scalar tail.
     */
    int scored(int end) {
      return Math.max(end, Math.min((end + L - 1) / L * L, s / L * L));
    }
  }

  /** One past query {@code i} of head {@code h}'s last visible key. */
  private static int visibleEnd(FloatMemory mask, Shape shape, int h, int i) {
    long row = shape.row(h, i);
    int end = shape.s();
    while (end > 0 && mask.get(row + end - 1) == Float.NEGATIVE_INFINITY) {
      end--;
    }
    if (end == 0) {
      throw new IllegalArgumentException("query " + i + " of head " + h
          + " sees no key: a query sees itself");
    }
    return end;
  }

  private static void attend(FloatMemory y, FloatMemory att, FloatMemory q, FloatMemory keys,
      FloatMemory v, FloatMemory mask, Shape shape, int h, int i, int end, FloatMemory scores) {
    int n = shape.scored(end);
    int hs = shape.hs();
    scores(scores, q, shape.query(h, i), keys, shape.keys(h), hs, 0, n);
    probabilities(scores, att, mask, shape, shape.row(h, i), n);
    weightedRows(y, shape.query(h, i), v, shape.values(h), hs, scores, 0, end);
  }

  /** {@link #attend} for heads {@code h} and {@code h + 1}, whose query {@code i} sees as far. */
  private static void attendPair(FloatMemory y, FloatMemory att, FloatMemory q, FloatMemory keys,
      FloatMemory v, FloatMemory mask, Shape shape, int h, int i, int end,
      FloatMemory[] scratch) {
    int n = shape.scored(end);
    int hs = shape.hs();
    long qa = shape.query(h, i);
    long qb = shape.query(h + 1, i);
    long ka = shape.keys(h);
    long kb = shape.keys(h + 1);
    int j = pairedScores(scratch[0], scratch[1], q, qa, qb, keys, ka, kb, hs, n);
    scores(scratch[0], q, qa, keys, ka, hs, j, n);
    scores(scratch[1], q, qb, keys, kb, hs, j, n);
    probabilities(scratch[0], att, mask, shape, shape.row(h, i), n);
    probabilities(scratch[1], att, mask, shape, shape.row(h + 1, i), n);
    long va = shape.values(h);
    long vb = shape.values(h + 1);
    int d = pairedWeightedRows(y, qa, qb, v, va, vb, hs, scratch[0], scratch[1], end);
    weightedRows(y, qa, v, va, hs, scratch[0], d, end);
    weightedRows(y, qb, v, vb, hs, scratch[1], d, end);
  }

  /** The scores' softmax, in place, and into {@code att} at {@code row} when it is wanted. */
  private static void probabilities(FloatMemory scores, FloatMemory att, FloatMemory mask,
      Shape shape, long row, int n) {
    scaleAndMask(scores, mask, row, shape.scale(), n);
    VectorKernels.softmaxRow(scores, scores, 0, n);
    if (att != null) {
      copyRow(att, row, scores, n, shape.s());
    }
  }

  /** Two rows of per-thread scores, of at least {@code s} floats each. */
  private static FloatMemory[] scratch(int s) {
    FloatMemory[] rows = SCORES.get();
    if (rows[0].bytes.capacity() < s * Float.BYTES) {
      rows[0] = FloatMemory.direct(s);
      rows[1] = FloatMemory.direct(s);
    }
    return rows;
  }

  /** Index of key position {@code j}'s dimension 0 in a head's blocks; dimension d is 16·d on. */
  private static long keyAt(long headKeys, int hs, int j) {
    return headKeys + (long) (j / BLOCK) * hs * BLOCK + j % BLOCK;
  }

  /**
   * {@code scores[j] = Σ_d q[query + d] · k_j[d]} for {@code firstKey ≤ j < n} ({@code
   * firstKey} 0, or where {@link #pairedScores} stopped): four vectors of keys at a
   * time, each lane one chain of multiply-adds over d in order; the remaining vectors (up to
   * three) each in four chains over d mod 4 (for latency), added pairwise; the last keys one at
   * a time. Which loop a key falls in depends on how many are scored, so its bits may differ
   * between steps of different lengths, never between runs.
   */
  private static void scores(FloatMemory scores, FloatMemory q, long query, FloatMemory keys,
      long headKeys, int hs, int firstKey, int n) {
    int j = firstKey;
    for (; j + 4 * L <= n; j += 4 * L) {
      long k0 = keyAt(headKeys, hs, j);
      long k1 = keyAt(headKeys, hs, j + L);
      long k2 = keyAt(headKeys, hs, j + 2 * L);
      long k3 = keyAt(headKeys, hs, j + 3 * L);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (int d = 0; d < hs; d++) {
        FloatVector x = FloatVector.broadcast(F, q.get(query + d));
        long at = (long) d * BLOCK;
        a0 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(k0 + at), LE).fma(x, a0);
        a1 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(k1 + at), LE).fma(x, a1);
        a2 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(k2 + at), LE).fma(x, a2);
        a3 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(k3 + at), LE).fma(x, a3);
      }
      a0.intoByteBuffer(scores.bytes, scores.at(j), LE);
      a1.intoByteBuffer(scores.bytes, scores.at(j + L), LE);
      a2.intoByteBuffer(scores.bytes, scores.at(j + 2L * L), LE);
      a3.intoByteBuffer(scores.bytes, scores.at(j + 3L * L), LE);
    }
    for (; j + L <= n; j += L) {
      long k0 = keyAt(headKeys, hs, j);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      int d = 0;
      for (; d + 4 <= hs; d += 4) {
        long at = k0 + (long) d * BLOCK;
        a0 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(at), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d)), a0);
        a1 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(at + BLOCK), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d + 1)), a1);
        a2 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(at + 2 * BLOCK), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d + 2)), a2);
        a3 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(at + 3 * BLOCK), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d + 3)), a3);
      }
      for (; d < hs; d++) {
        a0 = FloatVector.fromByteBuffer(F, keys.bytes, keys.at(k0 + (long) d * BLOCK), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d)), a0);
      }
      a0.add(a1).add(a2.add(a3)).intoByteBuffer(scores.bytes, scores.at(j), LE);
    }
    for (; j < n; j++) {
      long k0 = keyAt(headKeys, hs, j);
      float acc = 0f;
      for (int d = 0; d < hs; d++) {
        acc = Math.fma(keys.get(k0 + (long) d * BLOCK), q.get(query + d), acc);
      }
      scores.put(j, acc);
    }
  }

  /**
   * {@link #scores} of two queries over the same number of keys {@code n}, side by side, up to
   * the last whole vector; returns where the scalar keys start. Each score's chain is the one
   * {@link #scores} takes for it.
   */
  private static int pairedScores(FloatMemory sa, FloatMemory sb, FloatMemory q, long qa, long qb,
      FloatMemory keys, long ka, long kb, int hs, int n) {
    float[] qs = onHeap(q, qa, q, qb, hs);
    ByteBuffer k = keys.bytes;
    int row = BLOCK * Float.BYTES; // from one dimension of a block to the next
    int j = 0;
    for (; j + 4 * L <= n; j += 4 * L) {
      int a0 = keys.at(keyAt(ka, hs, j));
      int a1 = keys.at(keyAt(ka, hs, j + L));
      int a2 = keys.at(keyAt(ka, hs, j + 2 * L));
      int a3 = keys.at(keyAt(ka, hs, j + 3 * L));
      int b0 = keys.at(keyAt(kb, hs, j));
      int b1 = keys.at(keyAt(kb, hs, j + L));
      int b2 = keys.at(keyAt(kb, hs, j + 2 * L));
      int b3 = keys.at(keyAt(kb, hs, j + 3 * L));
      FloatVector x0 = FloatVector.zero(F);
      FloatVector x1 = FloatVector.zero(F);
      FloatVector x2 = FloatVector.zero(F);
      FloatVector x3 = FloatVector.zero(F);
      FloatVector y0 = FloatVector.zero(F);
      FloatVector y1 = FloatVector.zero(F);
      FloatVector y2 = FloatVector.zero(F);
      FloatVector y3 = FloatVector.zero(F);
      for (int d = 0; d < hs; d++) {
        FloatVector wa = FloatVector.broadcast(F, qs[d]);
        FloatVector wb = FloatVector.broadcast(F, qs[hs + d]);
        int at = d * row;
        x0 = FloatVector.fromByteBuffer(F, k, a0 + at, LE).fma(wa, x0);
        y0 = FloatVector.fromByteBuffer(F, k, b0 + at, LE).fma(wb, y0);
        x1 = FloatVector.fromByteBuffer(F, k, a1 + at, LE).fma(wa, x1);
        y1 = FloatVector.fromByteBuffer(F, k, b1 + at, LE).fma(wb, y1);
        x2 = FloatVector.fromByteBuffer(F, k, a2 + at, LE).fma(wa, x2);
        y2 = FloatVector.fromByteBuffer(F, k, b2 + at, LE).fma(wb, y2);
        x3 = FloatVector.fromByteBuffer(F, k, a3 + at, LE).fma(wa, x3);
        y3 = FloatVector.fromByteBuffer(F, k, b3 + at, LE).fma(wb, y3);
      }
      x0.intoByteBuffer(sa.bytes, sa.at(j), LE);
      x1.intoByteBuffer(sa.bytes, sa.at(j + L), LE);
      x2.intoByteBuffer(sa.bytes, sa.at(j + 2L * L), LE);
      x3.intoByteBuffer(sa.bytes, sa.at(j + 3L * L), LE);
      y0.intoByteBuffer(sb.bytes, sb.at(j), LE);
      y1.intoByteBuffer(sb.bytes, sb.at(j + L), LE);
      y2.intoByteBuffer(sb.bytes, sb.at(j + 2L * L), LE);
      y3.intoByteBuffer(sb.bytes, sb.at(j + 3L * L), LE);
    }
    for (; j + L <= n; j += L) {
      pairedChains(k, keys.at(keyAt(ka, hs, j)), keys.at(keyAt(kb, hs, j)), row, qs, hs, hs, sa,
          j, sb, j);
    }
    return j;
  }

  /**
   * {@code n} floats of {@code a} from {@code at} and of {@code b} from {@code bt}, side by side
   * in per-thread heap memory: a loop broadcasts them from an array with one bounds check, where
   * a buffer's {@code get} took several per element (a third of the decode attention's time).
   */
  private static float[] onHeap(FloatMemory a, long at, FloatMemory b, long bt, int n) {
    float[] both = HEAP.get();
    if (both.length < 2 * n) {
      both = new float[2 * n];
      HEAP.set(both);
    }
    a.get(at, both, 0, n);
    b.get(bt, both, n, n);
    return both;
  }

  /**
   * {@link #weightedRows} of two heads over the same {@code n} positions, side by side, up to
   * the last whole vector of {@code hs}; returns where the scalar columns start. Each output's
   * chain is the one {@link #weightedRows} takes for it.
   */
  private static int pairedWeightedRows(FloatMemory y, long ya, long yb, FloatMemory v, long va,
      long vb, int hs, FloatMemory pa, FloatMemory pb, int n) {
    float[] ps = onHeap(pa, 0, pb, 0, n);
    ByteBuffer values = v.bytes;
    int row = hs * Float.BYTES; // from one position's values to the next
    int i = 0;
    for (; i + 4 * L <= hs; i += 4 * L) {
      int a = v.at(va + i);
      int b = v.at(vb + i);
      FloatVector x0 = FloatVector.zero(F);
      FloatVector x1 = FloatVector.zero(F);
      FloatVector x2 = FloatVector.zero(F);
      FloatVector x3 = FloatVector.zero(F);
      FloatVector y0 = FloatVector.zero(F);
      FloatVector y1 = FloatVector.zero(F);
      FloatVector y2 = FloatVector.zero(F);
      FloatVector y3 = FloatVector.zero(F);
      int step = L * Float.BYTES;
      for (int j = 0; j < n; j++) {
        FloatVector wa = FloatVector.broadcast(F, ps[j]);
        FloatVector wb = FloatVector.broadcast(F, ps[n + j]);
        int at = j * row;
        x0 = FloatVector.fromByteBuffer(F, values, a + at, LE).fma(wa, x0);
        y0 = FloatVector.fromByteBuffer(F, values, b + at, LE).fma(wb, y0);
        x1 = FloatVector.fromByteBuffer(F, values, a + at + step, LE).fma(wa, x1);
        y1 = FloatVector.fromByteBuffer(F, values, b + at + step, LE).fma(wb, y1);
        x2 = FloatVector.fromByteBuffer(F, values, a + at + 2 * step, LE).fma(wa, x2);
        y2 = FloatVector.fromByteBuffer(F, values, b + at + 2 * step, LE).fma(wb, y2);
        x3 = FloatVector.fromByteBuffer(F, values, a + at + 3 * step, LE).fma(wa, x3);
        y3 = FloatVector.fromByteBuffer(F, values, b + at + 3 * step, LE).fma(wb, y3);
      }
      x0.intoByteBuffer(y.bytes, y.at(ya + i), LE);
      x1.intoByteBuffer(y.bytes, y.at(ya + i + L), LE);
      x2.intoByteBuffer(y.bytes, y.at(ya + i + 2L * L), LE);
      x3.intoByteBuffer(y.bytes, y.at(ya + i + 3L * L), LE);
      y0.intoByteBuffer(y.bytes, y.at(yb + i), LE);
      y1.intoByteBuffer(y.bytes, y.at(yb + i + L), LE);
      y2.intoByteBuffer(y.bytes, y.at(yb + i + 2L * L), LE);
      y3.intoByteBuffer(y.bytes, y.at(yb + i + 3L * L), LE);
    }
    for (; i + L <= hs; i += L) {
      pairedChains(values, v.at(va + i), v.at(vb + i), row, ps, n, n, y, ya + i, y, yb + i);
    }
    return i;
  }

  /**
   * One vector of two heads' sums over {@code t < count}: {@code Σ both[t] · src[a + t·stride ..)}
   * into {@code outA} at {@code da} and {@code Σ both[skip + t] · src[b + t·stride ..)} into
   * {@code outB} at {@code db}, each in four chains over t mod 4 (for latency) added pairwise: a
   * vector of scores over the head's dimensions, or of outputs over the positions.
   */
  private static void pairedChains(ByteBuffer src, int a, int b, int stride, float[] both,
      int count, int skip, FloatMemory outA, long da, FloatMemory outB, long db) {
    FloatVector x0 = FloatVector.zero(F);
    FloatVector x1 = FloatVector.zero(F);
    FloatVector x2 = FloatVector.zero(F);
    FloatVector x3 = FloatVector.zero(F);
    FloatVector y0 = FloatVector.zero(F);
    FloatVector y1 = FloatVector.zero(F);
    FloatVector y2 = FloatVector.zero(F);
    FloatVector y3 = FloatVector.zero(F);
    int t = 0;
    for (; t + 4 <= count; t += 4) {
      int at = t * stride;
      x0 = FloatVector.fromByteBuffer(F, src, a + at, LE)
          .fma(FloatVector.broadcast(F, both[t]), x0);
      y0 = FloatVector.fromByteBuffer(F, src, b + at, LE)
          .fma(FloatVector.broadcast(F, both[skip + t]), y0);
      x1 = FloatVector.fromByteBuffer(F, src, a + at + stride, LE)
          .fma(FloatVector.broadcast(F, both[t + 1]), x1);
      y1 = FloatVector.fromByteBuffer(F, src, b + at + stride, LE)
          .fma(FloatVector.broadcast(F, both[skip + t + 1]), y1);
      x2 = FloatVector.fromByteBuffer(F, src, a + at + 2 * stride, LE)
          .fma(FloatVector.broadcast(F, both[t + 2]), x2);
      y2 = FloatVector.fromByteBuffer(F, src, b + at + 2 * stride, LE)
          .fma(FloatVector.broadcast(F, both[skip + t + 2]), y2);
      x3 = FloatVector.fromByteBuffer(F, src, a + at + 3 * stride, LE)
          .fma(FloatVector.broadcast(F, both[t + 3]), x3);
      y3 = FloatVector.fromByteBuffer(F, src, b + at + 3 * stride, LE)
          .fma(FloatVector.broadcast(F, both[skip + t + 3]), y3);
    }
    for (; t < count; t++) {
      int at = t * stride;
      x0 = FloatVector.fromByteBuffer(F, src, a + at, LE)
          .fma(FloatVector.broadcast(F, both[t]), x0);
      y0 = FloatVector.fromByteBuffer(F, src, b + at, LE)
          .fma(FloatVector.broadcast(F, both[skip + t]), y0);
    }
    x0.add(x1).add(x2.add(x3)).intoByteBuffer(outA.bytes, outA.at(da), LE);
    y0.add(y1).add(y2.add(y3)).intoByteBuffer(outB.bytes, outB.at(db), LE);
  }

  /** {@code scores[j] = scores[j]·scale + mask[row + j]} for {@code j < n}. */
  private static void scaleAndMask(FloatMemory scores, FloatMemory mask, long row, float scale,
      int n) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromByteBuffer(F, scores.bytes, scores.at(j), LE).mul(scale)
          .add(FloatVector.fromByteBuffer(F, mask.bytes, mask.at(row + j), LE))
          .intoByteBuffer(scores.bytes, scores.at(j), LE);
    }
    for (; j < n; j++) {
      scores.put(j, scores.get(j) * scale + mask.get(row + j));
    }
  }

  /** {@code att[row .. row+n) = p[0 .. n)}, and 0 up to {@code s}. */
  private static void copyRow(FloatMemory att, long row, FloatMemory p, int n, int s) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromByteBuffer(F, p.bytes, p.at(j), LE)
          .intoByteBuffer(att.bytes, att.at(row + j), LE);
    }
    for (; j < n; j++) {
      att.put(row + j, p.get(j));
    }
    for (; j < s; j++) {
      att.put(row + j, 0f);
    }
  }

  /**
   * {@code y[at + i] = Σ_j p[j] · v[rows + j·hs + i]} for {@code firstColumn ≤ i < hs} (0, or
   * where {@link #pairedWeightedRows} stopped) over {@code j < n}, the masked
   * positions' zeros included: a branch around them would merge vectors, which C2 boxed on the
   * heap (3 MB per decode layer). Four vectors of y at a time, each one chain over j, so each
   * value row is read once; fewer vectors in four chains over j mod 4, for latency.
   */
  private static void weightedRows(FloatMemory y, long at, FloatMemory v, long rows, int hs,
      FloatMemory p, int firstColumn, int n) {
    int i = firstColumn;
    for (; i + 4 * L <= hs; i += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (int j = 0; j < n; j++) {
        FloatVector w = FloatVector.broadcast(F, p.get(j));
        long from = rows + (long) j * hs + i;
        a0 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from), LE).fma(w, a0);
        a1 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from + L), LE).fma(w, a1);
        a2 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from + 2L * L), LE).fma(w, a2);
        a3 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from + 3L * L), LE).fma(w, a3);
      }
      a0.intoByteBuffer(y.bytes, y.at(at + i), LE);
      a1.intoByteBuffer(y.bytes, y.at(at + i + L), LE);
      a2.intoByteBuffer(y.bytes, y.at(at + i + 2L * L), LE);
      a3.intoByteBuffer(y.bytes, y.at(at + i + 3L * L), LE);
    }
    for (; i + L <= hs; i += L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        long from = rows + (long) j * hs + i;
        a0 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from), LE)
            .fma(FloatVector.broadcast(F, p.get(j)), a0);
        a1 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from + hs), LE)
            .fma(FloatVector.broadcast(F, p.get(j + 1)), a1);
        a2 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from + 2L * hs), LE)
            .fma(FloatVector.broadcast(F, p.get(j + 2)), a2);
        a3 = FloatVector.fromByteBuffer(F, v.bytes, v.at(from + 3L * hs), LE)
            .fma(FloatVector.broadcast(F, p.get(j + 3)), a3);
      }
      for (; j < n; j++) {
        a0 = FloatVector.fromByteBuffer(F, v.bytes, v.at(rows + (long) j * hs + i), LE)
            .fma(FloatVector.broadcast(F, p.get(j)), a0);
      }
      a0.add(a1).add(a2.add(a3)).intoByteBuffer(y.bytes, y.at(at + i), LE);
    }
    for (; i < hs; i++) {
      float acc = 0f;
      for (int j = 0; j < n; j++) {
        acc = Math.fma(p.get(j), v.get(rows + (long) j * hs + i), acc);
      }
      y.put(at + i, acc);
    }
  }
}
