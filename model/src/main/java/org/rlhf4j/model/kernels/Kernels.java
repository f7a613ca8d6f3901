package org.rlhf4j.model.kernels;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.NativeArrays;

/**
 * The operations a transformer needs, each forward beside its backward (llm.c's layout).
 *
 * <p>Argument order: outputs, then inputs, then weights. Backward methods <em>add</em> into their
 * gradient outputs (a separate step zeroes them); a {@code null} gradient output is skipped. Arrays
 * are c-order; shapes use the letters of {@code org.rlhf4j.model}'s package doc.
 */
public interface Kernels {

  /**
   * The kernels called {@code name}: {@code vector} ({@link VectorKernels}, the CPU fast path) or
   * {@code nd4j} ({@link Nd4jKernels}, the portable reference).
   */
  static Kernels named(String name) {
    return switch (name) {
      case "vector" -> new VectorKernels();
      case "nd4j" -> new Nd4jKernels();
      default -> throw new IllegalArgumentException("kernels: expected vector or nd4j, got "
          + name);
    };
  }

  /** {@code out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC)}; {@code bias} may be null. */
  void matmulForward(INDArray out, INDArray inp, INDArray weight, INDArray bias);

  /**
   * Backward of {@code out = inp · weight + bias}: {@code dinp += dout · weightᵀ},
   * {@code dweight += inpᵀ · dout}, {@code dbias += Σ_n dout}.
   */
  void matmulBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight);

  /** {@code out (N,OC) = inp (N,C) · weightᵀ} with {@code weight (OC,C)}: the tied LM head and scalar heads. */
  void matmulTransposedForward(INDArray out, INDArray inp, INDArray weight);

  /**
   * {@link #matmulTransposedForward} for a decode step's tied output layer, {@code logits (R, V) =
   * x (R, C) · embeddingᵀ}: a kernel may read the embedding as frozen for the generation.
   */
  default void decodeLogitsForward(INDArray logits, INDArray x, INDArray embedding) {
    matmulTransposedForward(logits, x, embedding);
  }

  /** Backward of {@code out = inp · weightᵀ}: {@code dinp += dout · weight}, {@code dweight += doutᵀ · inp}. */
  void matmulTransposedBackward(INDArray dinp, INDArray dweight, INDArray dout, INDArray inp,
      INDArray weight);

  /**
   * {@code out (N,C) = (inp − mean) · rstd · weight + bias} per row, with {@code rstd = 1/√(var + eps)};
   * caches {@code mean (N)} and {@code rstd (N)} for the backward.
   */
  void layerNormForward(INDArray out, INDArray mean, INDArray rstd, INDArray inp, INDArray weight,
      INDArray bias, double eps);

  /** Backward of {@code out = (inp − mean) · rstd · weight + bias}. */
  void layerNormBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight, INDArray mean, INDArray rstd);

  /** GPT-2's tanh GELU: {@code out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
  void geluForward(INDArray out, INDArray inp);

  /** Backward of {@code out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
  void geluBackward(INDArray dinp, INDArray dout, INDArray inp);

  /** Positions per block of a decoder's key cache ({@link #cacheHeads}). */
  int KEY_BLOCK = 16;

  /** {@code out += x}, element by element, for arrays of one shape: the residual connections. */
  default void addInPlace(INDArray out, INDArray x) {
    out.addi(x);
  }

  /** Softmax over the last dimension. */
  void softmaxForward(INDArray out, INDArray inp);

  /** Backward of {@code out = softmax(inp)}: {@code dinp += out ⊙ (dout − Σ dout ⊙ out)}. */
  void softmaxBackward(INDArray dinp, INDArray dout, INDArray out);

  /**
   * Scaled dot-product attention: {@code att (B,NH,T,S) = softmax(q·kᵀ/√HS + mask)},
   * {@code y (B,NH,T,HS) = att · v}, with {@code q (B,NH,T,HS)}, {@code k, v (B,NH,S,HS)} and an
   * additive {@code mask (B,NH,T,S)} of 0 (visible) or −∞ (hidden).
   */
  void attentionForward(INDArray y, INDArray att, INDArray q, INDArray k, INDArray v,
      INDArray mask);

  /** Backward of {@code y = softmax(q·kᵀ/√HS + mask) · v}, given the cached {@code att}. */
  void attentionBackward(INDArray dq, INDArray dk, INDArray dv, INDArray dy, INDArray q,
      INDArray k, INDArray v, INDArray att);

  /**
   * A decode pass's heads out of {@code qkv (B·T, 3C)} (packed as {@link #packedAttentionForward}
   * has them): the queries into {@code q (B, NH, T, HS)}, the keys into positions
   * {@code start .. start+T} of the key cache {@code keys (B, NH, S/16, HS, 16)} (blocks of
   * {@link #KEY_BLOCK} positions, each transposed: position p's dimension d at
   * {@code [p / 16, d, p % 16]}), the values into those of the value cache
   * {@code v (B, NH, S, HS)}.
   */
  default void cacheHeads(INDArray q, INDArray keys, INDArray v, INDArray qkv, int start) {
    long b = q.size(0);
    int t = (int) q.size(2);
    int heads = (int) q.size(1);
    q.assign(headsView(qkv, b, t, heads, 0));
    INDArray k = headsView(qkv, b, t, heads, 1);
    for (int p = start; p < start + t; ) {
      int from = p % KEY_BLOCK;
      int n = Math.min(KEY_BLOCK - from, start + t - p);
      keys.get(all(), all(), point(p / KEY_BLOCK), all(), interval(from, from + n))
          .assign(k.get(all(), all(), interval(p - start, p - start + n), all())
              .permute(0, 1, 3, 2));
      p += n;
    }
    v.get(all(), all(), interval(start, start + t), all()).assign(headsView(qkv, b, t, heads, 2));
  }

  /**
   * {@code a[to] = a[from]} along the first dimension of the dense array {@code a}: a decoder
   * keeping a row's cache in place of one that has finished.
   */
  default void copySlice(INDArray a, int from, int to) {
    a.slice(to).assign(a.slice(from));
  }

  /**
   * {@link #attentionForward} over a decoder's cache, whose keys are stored as
   * {@link #cacheHeads} writes them; {@code v}'s S is the cache's length. {@code att} may be
   * null when the probabilities are not wanted (a decode step's are not). This default copies
   * the keys out by position.
   */
  default void cachedAttentionForward(INDArray y, INDArray att, INDArray q, INDArray keys,
      INDArray v, INDArray mask) {
    long[] shape = keys.shape(); // (B, NH, S/16, HS, 16)
    INDArray byPosition = keys.permute(0, 1, 2, 4, 3).dup('c')
        .reshape(shape[0], shape[1], shape[2] * KEY_BLOCK, shape[3]);
    INDArray k = byPosition.get(all(), all(), interval(0, v.size(2)), all()).dup('c');
    INDArray probabilities = att != null ? att : mask.ulike(); // (B, NH, T, S)
    attentionForward(y, probabilities, q, k, v, mask);
    NativeArrays.release(byPosition, k);
    if (att == null) {
      NativeArrays.release(probabilities);
    }
  }

  /**
   * {@link #attentionForward} on packed projections, llm.c's layout: {@code qkv (N, 3C)} holds each
   * token's q, k and v as three C-wide thirds, head h at columns {@code h·HS} of each;
   * {@code y (N, C)} gets head h's output at the same columns; {@code att (B, NH, T, T)} and
   * {@code mask (B, NH, T, T)} as there; {@code att} null keeps no probabilities (the backward
   * computes them again). This default copies the heads out and back.
   */
  default void packedAttentionForward(INDArray y, INDArray att, INDArray qkv, INDArray mask,
      int heads) {
    INDArray probabilities = att != null ? att : mask.ulike();
    INDArray[] qkvHeads = headsFirst(qkv, probabilities, heads);
    INDArray out = qkvHeads[0].ulike(); // (B, NH, T, HS)
    attentionForward(out, probabilities, qkvHeads[0], qkvHeads[1], qkvHeads[2], mask);
    tokensFirst(y, probabilities, heads).assign(out);
    NativeArrays.release(qkvHeads[0], qkvHeads[1], qkvHeads[2], out,
        probabilities == att ? null : probabilities);
  }

  /**
   * Whether a training attention over {@code t} positions of {@code hs}-wide heads computes its
   * probabilities again in the backward for little more than reading them back would cost, so a
   * pass need not keep its (B, NH, T, T) arrays.
   */
  default boolean recomputesAttentionCheaply(int t, int hs) {
    return false;
  }

  /**
   * Backward of {@link #packedAttentionForward}: adds q's, k's and v's gradients into the thirds
   * of {@code dqkv (N, 3C)}, given {@code dy (N, C)} and the forward's {@code att}; when that is
   * null (a recomputing pass did not keep it), the probabilities are computed again from
   * {@code qkv} and {@code mask} (which may be null otherwise).
   */
  default void packedAttentionBackward(INDArray dqkv, INDArray dy, INDArray qkv, INDArray kept,
      INDArray mask, int heads) {
    INDArray att = kept;
    if (att == null) {
      att = mask.ulike();
      INDArray y = dy.ulike();
      packedAttentionForward(y, att, qkv, mask, heads);
      NativeArrays.release(y);
    }
    INDArray[] qkvHeads = headsFirst(qkv, att, heads);
    INDArray dyHeads = tokensFirst(dy, att, heads).dup('c'); // (B, NH, T, HS)
    INDArray[] grads = {qkvHeads[0].ulike().assign(0), qkvHeads[1].ulike().assign(0),
        qkvHeads[2].ulike().assign(0)};
    attentionBackward(grads[0], grads[1], grads[2], dyHeads, qkvHeads[0], qkvHeads[1],
        qkvHeads[2], att);
    INDArray dqkv5 = dqkv.reshape(att.size(0), att.size(2), 3, heads, dy.size(1) / heads);
    for (int which = 0; which < 3; which++) {
      dqkv5.get(all(), all(), point(which), all(), all()).addi(grads[which].permute(0, 2, 1, 3));
    }
    NativeArrays.release(qkvHeads[0], qkvHeads[1], qkvHeads[2], dyHeads, grads[0], grads[1],
        grads[2], att == kept ? null : att);
  }

  /** Dense {@code (B, NH, T, HS)} copies of q, k and v from {@code qkv (N, 3C)}. */
  private static INDArray[] headsFirst(INDArray qkv, INDArray att, int heads) {
    INDArray[] out = new INDArray[3];
    for (int which = 0; which < 3; which++) {
      out[which] = headsView(qkv, att.size(0), att.size(2), heads, which).dup('c');
    }
    return out;
  }

  /** Part {@code which} (0 q, 1 k, 2 v) of {@code qkv (B·T, 3C)} as a {@code (B, NH, T, HS)} view. */
  private static INDArray headsView(INDArray qkv, long b, long t, int heads, int which) {
    long hs = qkv.size(1) / 3 / heads;
    return qkv.reshape(b, t, 3, heads, hs).get(all(), all(), point(which), all(), all())
        .permute(0, 2, 1, 3);
  }


  /** {@code (N, C)} seen as its heads, {@code (B, NH, T, HS)}, without a copy. */
  private static INDArray tokensFirst(INDArray rows, INDArray att, int heads) {
    return rows.reshape(att.size(0), att.size(2), heads, rows.size(1) / heads)
        .permute(0, 2, 1, 3);
  }

  /** {@code out (N,C) = table[rows[n]]}: token and position embeddings. */
  void embeddingForward(INDArray out, INDArray table, int[] rows);

  /** Backward of {@code out = table[rows[n]]}: {@code dtable[rows[n]] += dout[n]}. */
  void embeddingBackward(INDArray dtable, INDArray dout, int[] rows);

  /**
   * Fused softmax cross-entropy: {@code probs (N,V) = softmax(logits)},
   * {@code losses (N) = −log probs[n, targets[n]]}; a negative target means "no loss" (0).
   * {@code probs} may be {@code logits} (in place).
   */
  void crossEntropyForward(INDArray losses, INDArray probs, INDArray logits, int[] targets);

  /** Backward of {@code losses = −log softmax(logits)[target]}: {@code dlogits += dlosses ⊙ (probs − onehot)}. */
  void crossEntropyBackward(INDArray dlogits, INDArray dlosses, INDArray probs, int[] targets);

  /**
   * {@link #crossEntropyBackward} written over the probabilities:
   * {@code probs ← dlosses ⊙ (probs − onehot)}, a row without a target zeroed; so one (N, V) array
   * serves the logits, the probabilities and their gradient (it matters at 50,257 tokens).
   */
  default void crossEntropyBackwardInPlace(INDArray probs, INDArray dlosses, int[] targets) {
    INDArray dlogits = probs.ulike().assign(0.0);
    crossEntropyBackward(dlogits, dlosses, probs, targets);
    probs.assign(dlogits);
    NativeArrays.release(dlogits);
  }

  /**
   * One AdamW step in place (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"):
   * moments {@code m, v} updated from {@code grads}, bias-corrected with {@code step} (1-based),
   * then {@code params −= lr·(m̂/(√v̂ + eps) + weightDecay·params)}, the decay term only at the
   * flat indices in {@code decayed}: ascending, disjoint {@code [from, to)} pairs (a mask as large
   * as the parameters was 118 MB at M).
   */
  void adamwUpdate(INDArray params, INDArray grads, INDArray m, INDArray v, long[] decayed,
      long step, double lr, double beta1, double beta2, double eps, double weightDecay);
}
