package org.rlhf4j.model.kernels;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weights that stay fixed for a while (a decoder's generation), packed once into the panels that
 * few-row products read, while they are the calling thread's active ones.
 *
 * <p>Why: a decode step reads every weight once for a few rows, so copying each into panels at
 * every step cost as much as the products (M's decode products ran at 60 GFLOP/s packing per
 * call, 130 reading packed panels; BENCHMARKS.md, session 21). A cleared copy's memory serves the
 * next weights of the same shape, so a new snapshot allocates nothing. The cost: each decoder
 * holds a copy of the weights it multiplies by on the Java heap (the demo's models 1.6 MB, M's
 * 100 MB, G's 340 MB of the launcher's 2 GB), one per sampling worker, and the output layer's
 * embedding besides (4, 17 and 154 MB) in up to two layouts: transposed once a step of 16 rows or
 * more has come, lane-packed ({@link LaneTreeLogits}) once one of 2 to 15 rows has.
 */
public final class FrozenWeights {
  private static final ThreadLocal<FrozenWeights> ACTIVE = new ThreadLocal<>();

  private final Map<INDArray, FewRowMatmul.Panels> packed = new IdentityHashMap<>();
  private final Map<INDArray, FewRowMatmul.Panels> transposed = new IdentityHashMap<>();
  private final Map<INDArray, LaneTreeLogits.Packed> lanes = new IdentityHashMap<>();
  private final List<float[]> spare = new ArrayList<>();

  /**
   * Makes these the calling thread's frozen weights: products on it read a weight from its packed
   * copy, made on first use; returns the ones active before, for {@link #restore}.
   */
  public FrozenWeights activate() {
    FrozenWeights before = ACTIVE.get();
    ACTIVE.set(this);
    return before;
  }

  /** Makes {@code before}, the value {@link #activate} returned, active again (null: none). */
  public static void restore(FrozenWeights before) {
    ACTIVE.set(before);
  }

  /** Forgets every packed copy, since the weights may change from here on; keeps their memory. */
  public void clear() {
    packed.values().forEach(p -> spare.add(p.data));
    transposed.values().forEach(p -> spare.add(p.data));
    lanes.values().forEach(p -> spare.add(p.data));
    packed.clear();
    transposed.clear();
    lanes.clear();
  }

  /** Weights packed since the last {@link #clear}, transposed ones and output layers included. */
  public int packedCount() {
    return packed.size() + transposed.size() + lanes.size();
  }

  static FrozenWeights active() {
    return ACTIVE.get();
  }

  /** {@code weight (K, N)}'s panels, packed from {@code w}, its memory, on first use. */
  FewRowMatmul.Panels panels(INDArray weight, FloatMemory w, int k, int n) {
    FewRowMatmul.Panels p = packed.get(weight);
    if (p == null) {
      p = FewRowMatmul.pack(w, k, n, spareOfShape(k, n));
      packed.put(weight, p);
    }
    return p;
  }

  /** {@code weightᵀ}'s panels, for {@code weight (N, K)} in {@code w}, packed on first use. */
  FewRowMatmul.Panels transposedPanels(INDArray weight, FloatMemory w, int n, int k) {
    FewRowMatmul.Panels p = transposed.get(weight);
    if (p == null) {
      p = FewRowMatmul.packTransposed(w, n, k, spareOfShape(k, n));
      transposed.put(weight, p);
    }
    return p;
  }

  /**
   * The embedding {@code weight (N, K)} packed for {@link LaneTreeLogits}, from {@code w}, on
   * first use.
   */
  LaneTreeLogits.Packed lanePacked(INDArray weight, FloatMemory w, int n, int k) {
    LaneTreeLogits.Packed p = lanes.get(weight);
    if (p == null) {
      p = LaneTreeLogits.pack(w, n, k, spareOfShape(k, n));
      lanes.put(weight, p);
    }
    return p;
  }

  /**
   * Drops {@code weight}'s lane-packed copy without keeping its memory: for a shape that will not
   * read it, where ND4J sums in another order.
   */
  void dropLanePacked(INDArray weight) {
    lanes.remove(weight);
  }

  /** A cleared copy's memory of K·N floats (every packing writes all it reads), or null. */
  private float[] spareOfShape(int k, int n) {
    for (Iterator<float[]> it = spare.iterator(); it.hasNext(); ) {
      float[] data = it.next();
      if (data.length == k * n) {
        it.remove();
        return data;
      }
    }
    return null;
  }
}
