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
      ThreadLocal.withInitial(() -> new FloatMemory[] {FloatMemory.direct(0)});

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
   */
  static void forward(FloatMemory y, FloatMemory att, FloatMemory q, FloatMemory keys,
      FloatMemory v, FloatMemory mask, int heads, int t, int hs, int s, int blocks) {
    float scale = (float) (1.0 / Math.sqrt(hs));
    FloatMemory scores = scratch(s);
    for (int h = 0; h < heads; h++) {
      long headKeys = (long) h * blocks * hs * BLOCK;
      long headValues = (long) h * s * hs;
      for (int i = 0; i < t; i++) {
        long row = ((long) h * t + i) * s;
        long query = ((long) h * t + i) * hs;
        int end = s;
        while (end > 0 && mask.get(row + end - 1) == Float.NEGATIVE_INFINITY) {
          end--;
        }
        if (end == 0) {
          throw new IllegalArgumentException("query " + i + " of head " + h
              + " sees no key: a query sees itself");
        }
        // whole vectors up to the last visible key where the cache has them: the keys after it
        // are masked, so they cost a few multiply-adds and get probability 0, not a scalar tail
        int scored = Math.max(end, Math.min((end + L - 1) / L * L, s / L * L));
        scores(scores, q, query, keys, headKeys, hs, scored);
        scaleAndMask(scores, mask, row, scale, scored);
        VectorKernels.softmaxRow(scores, scores, 0, scored);
        if (att != null) {
          copyRow(att, row, scores, scored, s);
        }
        weightedRows(y, query, v, headValues, hs, scores, end);
      }
    }
  }

  private static FloatMemory scratch(int s) {
    FloatMemory[] holder = SCORES.get();
    if (holder[0].bytes.capacity() < s * Float.BYTES) {
      holder[0] = FloatMemory.direct(s);
    }
    return holder[0];
  }

  /**
   * {@code n} floats of {@code m} from {@code at} in per-thread heap memory: a loop broadcasts
   * them from an array with one bounds check, where a buffer's {@code get} took several per
   * element (most of the decode attention's time, BENCHMARKS.md session 24).
   */
  private static float[] onHeap(FloatMemory m, long at, int n) {
    float[] copy = HEAP.get();
    if (copy.length < n) {
      copy = new float[n];
      HEAP.set(copy);
    }
    m.get(at, copy, 0, n);
    return copy;
  }

  /** Index of key position {@code j}'s dimension 0 in a head's blocks; dimension d is 16·d on. */
  private static long keyAt(long headKeys, int hs, int j) {
    return headKeys + (long) (j / BLOCK) * hs * BLOCK + j % BLOCK;
  }

  /**
   * {@code scores[j] = Σ_d q[query + d] · k_j[d]} for {@code j < n}: four vectors of keys at a
   * time, each lane one chain of multiply-adds over d in order; the remaining vectors (up to
   * three) each in four chains over d mod 4 (for latency), added pairwise; the last keys one at
   * a time. Which loop a key falls in depends on how many are scored, so its bits may differ
   * between steps of different lengths, never between runs.
   */
  private static void scores(FloatMemory scores, FloatMemory q, long query, FloatMemory keys,
      long headKeys, int hs, int n) {
    float[] x = onHeap(q, query, hs);
    ByteBuffer k = keys.bytes;
    int row = BLOCK * Float.BYTES; // bytes from one dimension of a key block to the next
    int j = 0;
    for (; j + 4 * L <= n; j += 4 * L) {
      int k0 = keys.at(keyAt(headKeys, hs, j));
      int k1 = keys.at(keyAt(headKeys, hs, j + L));
      int k2 = keys.at(keyAt(headKeys, hs, j + 2 * L));
      int k3 = keys.at(keyAt(headKeys, hs, j + 3 * L));
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (int d = 0; d < hs; d++) {
        FloatVector w = FloatVector.broadcast(F, x[d]);
        int at = d * row;
        a0 = FloatVector.fromByteBuffer(F, k, k0 + at, LE).fma(w, a0);
        a1 = FloatVector.fromByteBuffer(F, k, k1 + at, LE).fma(w, a1);
        a2 = FloatVector.fromByteBuffer(F, k, k2 + at, LE).fma(w, a2);
        a3 = FloatVector.fromByteBuffer(F, k, k3 + at, LE).fma(w, a3);
      }
      a0.intoByteBuffer(scores.bytes, scores.at(j), LE);
      a1.intoByteBuffer(scores.bytes, scores.at(j + L), LE);
      a2.intoByteBuffer(scores.bytes, scores.at(j + 2L * L), LE);
      a3.intoByteBuffer(scores.bytes, scores.at(j + 3L * L), LE);
    }
    for (; j + L <= n; j += L) {
      chains(k, keys.at(keyAt(headKeys, hs, j)), row, x, hs, scores, j);
    }
    for (; j < n; j++) {
      long k0 = keyAt(headKeys, hs, j);
      float acc = 0f;
      for (int d = 0; d < hs; d++) {
        acc = Math.fma(keys.get(k0 + (long) d * BLOCK), x[d], acc);
      }
      scores.put(j, acc);
    }
  }

  /**
   * One vector of sums over {@code t < count}, {@code Σ s[t] · src[from + t·stride ..)} with
   * {@code from} and {@code stride} in bytes, in four chains over t mod 4 (for latency) added
   * pairwise, into {@code out} at {@code to}: a vector of scores over a head's dimensions, or of
   * outputs over the positions.
   */
  private static void chains(ByteBuffer src, int from, int stride, float[] s, int count,
      FloatMemory out, long to) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int t = 0;
    for (; t + 4 <= count; t += 4) {
      int at = from + t * stride;
      a0 = FloatVector.fromByteBuffer(F, src, at, LE).fma(FloatVector.broadcast(F, s[t]), a0);
      a1 = FloatVector.fromByteBuffer(F, src, at + stride, LE)
          .fma(FloatVector.broadcast(F, s[t + 1]), a1);
      a2 = FloatVector.fromByteBuffer(F, src, at + 2 * stride, LE)
          .fma(FloatVector.broadcast(F, s[t + 2]), a2);
      a3 = FloatVector.fromByteBuffer(F, src, at + 3 * stride, LE)
          .fma(FloatVector.broadcast(F, s[t + 3]), a3);
    }
    for (; t < count; t++) {
      a0 = FloatVector.fromByteBuffer(F, src, from + t * stride, LE)
          .fma(FloatVector.broadcast(F, s[t]), a0);
    }
    a0.add(a1).add(a2.add(a3)).intoByteBuffer(out.bytes, out.at(to), LE);
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
   * {@code y[at..at+hs) = Σ_j p[j] · v[rows + j·hs ..)} over {@code j < n}, the masked
   * positions' zeros included: a branch around them would merge vectors, which C2 boxed on the
   * heap (3 MB per decode layer). Four vectors of y at a time, each one chain over j, so each
   * value row is read once; fewer vectors in four chains over j mod 4, for latency.
   */
  private static void weightedRows(FloatMemory y, long at, FloatMemory v, long rows, int hs,
      FloatMemory p, int n) {
    float[] w = onHeap(p, 0, n);
    ByteBuffer values = v.bytes;
    int row = hs * Float.BYTES; // bytes from one position's values to the next
    int step = L * Float.BYTES;
    int i = 0;
    for (; i + 4 * L <= hs; i += 4 * L) {
      int from = v.at(rows + i);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (int j = 0; j < n; j++) {
        FloatVector x = FloatVector.broadcast(F, w[j]);
        int o = from + j * row;
        a0 = FloatVector.fromByteBuffer(F, values, o, LE).fma(x, a0);
        a1 = FloatVector.fromByteBuffer(F, values, o + step, LE).fma(x, a1);
        a2 = FloatVector.fromByteBuffer(F, values, o + 2 * step, LE).fma(x, a2);
        a3 = FloatVector.fromByteBuffer(F, values, o + 3 * step, LE).fma(x, a3);
      }
      a0.intoByteBuffer(y.bytes, y.at(at + i), LE);
      a1.intoByteBuffer(y.bytes, y.at(at + i + L), LE);
      a2.intoByteBuffer(y.bytes, y.at(at + i + 2L * L), LE);
      a3.intoByteBuffer(y.bytes, y.at(at + i + 3L * L), LE);
    }
    for (; i + L <= hs; i += L) {
      chains(values, v.at(rows + i), row, w, n, y, at + i);
    }
    for (; i < hs; i++) {
      float acc = 0f;
      for (int j = 0; j < n; j++) {
        acc = Math.fma(w[j], v.get(rows + (long) j * hs + i), acc);
      }
      y.put(at + i, acc);
    }
  }
}
