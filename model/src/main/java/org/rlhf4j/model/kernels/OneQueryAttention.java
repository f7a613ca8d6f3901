package org.rlhf4j.model.kernels;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention with one query per (row, head), as a decode step has, read in place from a KV cache
 * whose keys are stored transposed, {@code (B, NH, HS, S)}: the scores of L keys are then one
 * vector, summed over the head's HS dimensions by multiply-adds, and the weighted sum of values
 * is a multiply-add of each value row. No sum runs across a vector's lanes, and every sum has
 * a fixed order, so a result does not depend on the JIT.
 *
 * <p>Why: with keys stored by position, each score was a dot product ending in a sum across
 * its vector's lanes, which took more than its multiply-adds (a sixth of S's decode step with
 * 16 lanes), and the masked positions were skipped one by one. Here a query stops at its last
 * visible key, so the cache's unfilled tail costs nothing; masked keys before it (a prompt's
 * padding) cost their multiply-adds and get probability 0.
 */
final class OneQueryAttention {
  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final int L = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ThreadLocal<FloatMemory[]> SCORES =
      ThreadLocal.withInitial(() -> new FloatMemory[] {FloatMemory.direct(0)});

  private OneQueryAttention() {}

  /**
   * {@code y (B, NH, 1, HS) = softmax(q·k/√HS + mask) · v} and {@code att (B, NH, 1, S)} its
   * probabilities (0 where masked), for {@code q (B, NH, 1, HS)}, {@code keysT (B, NH, HS, S)},
   * {@code v (B, NH, S, HS)} and {@code mask (B, NH, 1, S)} of 0 or −∞; {@code heads} = B·NH.
   */
  static void forward(FloatMemory y, FloatMemory att, FloatMemory q, FloatMemory keysT,
      FloatMemory v, FloatMemory mask, int heads, int hs, int s) {
    float scale = (float) (1.0 / Math.sqrt(hs));
    FloatMemory scores = scratch(s);
    for (int h = 0; h < heads; h++) {
      long row = (long) h * s;
      long query = (long) h * hs;
      int end = s;
      while (end > 0 && mask.get(row + end - 1) == Float.NEGATIVE_INFINITY) {
        end--;
      }
      if (end == 0) {
        throw new IllegalArgumentException("head " + h + " sees no key: a query sees itself");
      }
      // whole vectors up to the last visible key where the cache has them: the keys after it
      // are masked, so they cost a few multiply-adds and get probability 0, not a scalar tail
      int scored = Math.max(end, Math.min((end + L - 1) / L * L, s / L * L));
      scores(scores, q, query, keysT, (long) h * hs * s, s, hs, scored);
      scaleAndMask(scores, mask, row, scale, scored);
      VectorKernels.softmaxRow(scores, scores, 0, scored);
      copyRow(att, row, scores, scored, s);
      weightedRows(y, query, v, (long) h * s * hs, hs, scores, end);
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

  private static FloatMemory scratch(int s) {
    FloatMemory[] holder = SCORES.get();
    if (holder[0].bytes.capacity() < s * Float.BYTES) {
      holder[0] = FloatMemory.direct(s);
    }
    return holder[0];
  }

  /**
   * {@code scores[j] = Σ_d q[query + d] · keysT[keys + d·s + j]} for {@code j < n}: four
   * vectors of keys at a time, each lane one chain of multiply-adds over d in order.
   */
  private static void scores(FloatMemory scores, FloatMemory q, long query, FloatMemory keysT,
      long keys, int s, int hs, int n) {
    int j = 0;
    for (; j + 4 * L <= n; j += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (int d = 0; d < hs; d++) {
        FloatVector x = FloatVector.broadcast(F, q.get(query + d));
        long at = keys + (long) d * s + j;
        a0 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at), LE).fma(x, a0);
        a1 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at + L), LE).fma(x, a1);
        a2 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at + 2L * L), LE).fma(x, a2);
        a3 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at + 3L * L), LE).fma(x, a3);
      }
      a0.intoByteBuffer(scores.bytes, scores.at(j), LE);
      a1.intoByteBuffer(scores.bytes, scores.at(j + L), LE);
      a2.intoByteBuffer(scores.bytes, scores.at(j + 2L * L), LE);
      a3.intoByteBuffer(scores.bytes, scores.at(j + 3L * L), LE);
    }
    for (; j + L <= n; j += L) { // one vector: four chains over d mod 4, for latency
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      int d = 0;
      for (; d + 4 <= hs; d += 4) {
        long at = keys + (long) d * s + j;
        a0 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d)), a0);
        a1 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at + s), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d + 1)), a1);
        a2 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at + 2L * s), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d + 2)), a2);
        a3 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(at + 3L * s), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d + 3)), a3);
      }
      for (; d < hs; d++) {
        a0 = FloatVector.fromByteBuffer(F, keysT.bytes, keysT.at(keys + (long) d * s + j), LE)
            .fma(FloatVector.broadcast(F, q.get(query + d)), a0);
      }
      a0.add(a1).add(a2.add(a3)).intoByteBuffer(scores.bytes, scores.at(j), LE);
    }
    for (; j < n; j++) {
      float acc = 0f;
      for (int d = 0; d < hs; d++) {
        acc = Math.fma(keysT.get(keys + (long) d * s + j), q.get(query + d), acc);
      }
      scores.put(j, acc);
    }
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

  /**
   * {@code y[at..at+hs) = Σ_j p[j] · v[rows + j·hs ..)} over {@code j < n}, the masked
   * positions' zeros included: a branch around them would merge vectors, which C2 boxed on the
   * heap (3 MB per decode layer). Per vector of y, four chains over j mod 4, for latency.
   */
  private static void weightedRows(FloatMemory y, long at, FloatMemory v, long rows, int hs,
      FloatMemory p, int n) {
    int i = 0;
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
