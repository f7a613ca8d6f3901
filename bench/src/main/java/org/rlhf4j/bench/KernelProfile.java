package org.rlhf4j.bench;

import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.kernels.Kernels;

/** A {@link Kernels} decorator that adds up the wall time and call count of each kernel. */
public final class KernelProfile implements Kernels {
  private final Kernels inner;
  private final Map<String, long[]> totals = new TreeMap<>(); // name -> {nanos, calls}

  public KernelProfile(Kernels inner) {
    this.inner = inner;
  }

  /** Nanoseconds and call count per kernel since the last {@link #reset()}. */
  public Map<String, long[]> totals() {
    return totals;
  }

  public void reset() {
    totals.clear();
  }

  private void time(String name, Runnable r) {
    long start = System.nanoTime();
    r.run();
    long[] t = totals.computeIfAbsent(name, k -> new long[2]);
    t[0] += System.nanoTime() - start;
    t[1]++;
  }

  @Override
  public void matmulForward(INDArray out, INDArray inp, INDArray weight, INDArray bias) {
    time("matmul", () -> inner.matmulForward(out, inp, weight, bias));
  }

  @Override
  public void matmulBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight) {
    time("matmul", () -> inner.matmulBackward(dinp, dweight, dbias, dout, inp, weight));
  }

  @Override
  public void matmulTransposedForward(INDArray out, INDArray inp, INDArray weight) {
    time("matmul", () -> inner.matmulTransposedForward(out, inp, weight));
  }

  @Override
  public void decodeLogitsForward(INDArray logits, INDArray x, INDArray embedding) {
    time("matmul", () -> inner.decodeLogitsForward(logits, x, embedding));
  }

  @Override
  public void matmulTransposedBackward(INDArray dinp, INDArray dweight, INDArray dout,
      INDArray inp, INDArray weight) {
    time("matmul", () -> inner.matmulTransposedBackward(dinp, dweight, dout, inp, weight));
  }

  @Override
  public void layerNormForward(INDArray out, INDArray mean, INDArray rstd, INDArray inp,
      INDArray weight, INDArray bias, double eps) {
    time("layernorm", () -> inner.layerNormForward(out, mean, rstd, inp, weight, bias, eps));
  }

  @Override
  public void layerNormBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight, INDArray mean, INDArray rstd) {
    time("layernorm",
        () -> inner.layerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd));
  }

  @Override
  public void geluForward(INDArray out, INDArray inp) {
    time("gelu", () -> inner.geluForward(out, inp));
  }

  @Override
  public void geluBackward(INDArray dinp, INDArray dout, INDArray inp) {
    time("gelu", () -> inner.geluBackward(dinp, dout, inp));
  }

  @Override
  public void addInPlace(INDArray out, INDArray x) {
    time("add", () -> inner.addInPlace(out, x));
  }

  @Override
  public void softmaxForward(INDArray out, INDArray inp) {
    time("softmax", () -> inner.softmaxForward(out, inp));
  }

  @Override
  public void softmaxBackward(INDArray dinp, INDArray dout, INDArray out) {
    time("softmax", () -> inner.softmaxBackward(dinp, dout, out));
  }

  @Override
  public void attentionForward(INDArray y, INDArray att, INDArray q, INDArray k, INDArray v,
      INDArray mask) {
    time("attention", () -> inner.attentionForward(y, att, q, k, v, mask));
  }

  @Override
  public void attentionBackward(INDArray dq, INDArray dk, INDArray dv, INDArray dy, INDArray q,
      INDArray k, INDArray v, INDArray att) {
    time("attention", () -> inner.attentionBackward(dq, dk, dv, dy, q, k, v, att));
  }

  @Override
  public void cacheHeads(INDArray q, INDArray keysT, INDArray v, INDArray qkv, int start) {
    time("kv cache", () -> inner.cacheHeads(q, keysT, v, qkv, start));
  }

  @Override
  public void copySlice(INDArray a, int from, int to) {
    time("kv cache", () -> inner.copySlice(a, from, to));
  }

  @Override
  public void cachedAttentionForward(INDArray y, INDArray att, INDArray q, INDArray keysT,
      INDArray v, INDArray mask) {
    time("attention", () -> inner.cachedAttentionForward(y, att, q, keysT, v, mask));
  }

  @Override
  public void packedAttentionForward(INDArray y, INDArray att, INDArray qkv, INDArray mask,
      int heads) {
    time("attention", () -> inner.packedAttentionForward(y, att, qkv, mask, heads));
  }

  @Override
  public void packedAttentionBackward(INDArray dqkv, INDArray dy, INDArray qkv, INDArray att,
      INDArray mask, int heads) {
    time("attention", () -> inner.packedAttentionBackward(dqkv, dy, qkv, att, mask, heads));
  }

  @Override
  public boolean recomputesAttentionCheaply(int t, int hs) {
    return inner.recomputesAttentionCheaply(t, hs);
  }

  @Override
  public void embeddingForward(INDArray out, INDArray table, int[] rows) {
    time("embedding", () -> inner.embeddingForward(out, table, rows));
  }

  @Override
  public void embeddingBackward(INDArray dtable, INDArray dout, int[] rows) {
    time("embedding", () -> inner.embeddingBackward(dtable, dout, rows));
  }

  @Override
  public void crossEntropyForward(INDArray losses, INDArray probs, INDArray logits,
      int[] targets) {
    time("cross-entropy", () -> inner.crossEntropyForward(losses, probs, logits, targets));
  }

  @Override
  public void crossEntropyBackward(INDArray dlogits, INDArray dlosses, INDArray probs,
      int[] targets) {
    time("cross-entropy", () -> inner.crossEntropyBackward(dlogits, dlosses, probs, targets));
  }

  @Override
  public void crossEntropyBackwardInPlace(INDArray probs, INDArray dlosses, int[] targets) {
    time("cross-entropy", () -> inner.crossEntropyBackwardInPlace(probs, dlosses, targets));
  }

  @Override
  public void adamwUpdate(INDArray params, INDArray grads, INDArray m, INDArray v,
      long[] decayed, long step, double lr, double beta1, double beta2, double eps,
      double weightDecay) {
    time("adamw", () -> inner.adamwUpdate(params, grads, m, v, decayed, step, lr, beta1, beta2,
        eps, weightDecay));
  }
}
