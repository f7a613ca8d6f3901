package org.rlhf4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Outputs of one {@link Gpt#forward} and the activations its backward needs; {@link #close}
 * frees their native memory at once instead of whenever the GC collects them.
 */
public final class ForwardPass implements AutoCloseable {
  final TokenBatch batch;
  final INDArray[] layerInputs; // L + 1 entries, (N, C) each; the last is the body's output
  final BlockActivations[] blocks;
  final INDArray lnf; // (N, C)
  final INDArray lnfMean; // (N)
  final INDArray lnfRstd; // (N)
  INDArray mask; // (B, NH, T, T) when the backward computes the probabilities again, else null
  INDArray logits; // (N, V), (M, V) for M logit rows, or null
  int[] logitRows; // (M) rows whose logits were computed, or null for every row
  INDArray lnfRows; // (M, C): the final LayerNorm's output on those rows, or null
  INDArray values; // (N) or null
  INDArray rewards; // (B) or null
  int[] rewardRows; // (B): row n = b·T + last real index

  ForwardPass(TokenBatch batch, INDArray[] layerInputs, BlockActivations[] blocks, INDArray lnf,
      INDArray lnfMean, INDArray lnfRstd) {
    this.batch = batch;
    this.layerInputs = layerInputs;
    this.blocks = blocks;
    this.lnf = lnf;
    this.lnfMean = lnfMean;
    this.lnfRstd = lnfRstd;
  }

  /**
   * Frees every array of this pass (outputs included); it must not be used after. Views (a
   * reshape of another array) are left to their owner.
   */
  @Override
  public void close() {
    NativeArrays.release(layerInputs);
    for (BlockActivations a : blocks) {
      if (a != null) {
        a.release();
      }
    }
    NativeArrays.release(mask, lnf, lnfMean, lnfRstd, logits, lnfRows, values, rewards);
  }

  public TokenBatch batch() {
    return batch;
  }

  /**
   * Next-token logits, (N, V) with row n = b·T + t, or (M, V) in the order of the logit rows the
   * forward was given; null unless requested.
   */
  public INDArray logits() {
    return logits;
  }

  /** Value-head outputs, (N); null unless requested. */
  public INDArray values() {
    return values;
  }

  /** Reward-head outputs at each row's last real token, (B); null unless requested. */
  public INDArray rewards() {
    return rewards;
  }

  /** The final LayerNorm's output, (N, C). */
  public INDArray hidden() {
    return lnf;
  }

  /**
   * One adapter's forward: its dropped-out input (null without dropout: the backward has the
   * layer's own input), the dropout's keep mask scaled by 1/(1 − p) or null, and
   * {@code u = scale · input · Aᵀ}, (N, r).
   */
  record AdapterActivations(INDArray input, INDArray keep, INDArray u) {}

  /**
   * What one block's forward keeps for its backward; also the decoder's reusable buffers. A
   * recomputing model's pass drops the LayerNorm outputs, the GELU output and the attention
   * probabilities after its forward ({@link #dropRecomputable}): half of a block's floats, and
   * little work to compute again in the backward ({@link Gpt#recomputing}).
   */
  static final class BlockActivations {
    INDArray ln1; // (N, C)
    INDArray ln1Mean; // (N)
    INDArray ln1Rstd; // (N)
    INDArray qkv; // (N, 3C)
    INDArray q; // (B, NH, T, HS), the decoder's only
    INDArray k; // (B, NH, S/16, HS, 16), the decoder's key cache (Kernels.cacheHeads)
    INDArray v; // (B, NH, S, HS), the decoder's cache
    INDArray att; // (B, NH, T, S)
    INDArray attY; // (N, C)
    // attY as (B, NH, 1, HS) for a one-token decode step, made once: ND4J's reshape took a
    // tenth of S's decoding (JFR)
    INDArray attYHeads;
    INDArray res2; // (N, C)
    INDArray ln2; // (N, C)
    INDArray ln2Mean; // (N)
    INDArray ln2Rstd; // (N)
    INDArray fc; // (N, 4C)
    INDArray gelu; // (N, 4C)
    // per adapted linear layer (GptLayout.LINEARS order), what its adapter's backward needs
    final AdapterActivations[] adapters = new AdapterActivations[GptLayout.LINEARS.size()];
    long dropoutSeed; // the training pass's dropout masks derive from it

    /** Frees what {@link Gpt#backward} computes again from the arrays kept. */
    void dropRecomputable() {
      NativeArrays.release(ln1, ln2, gelu, att);
      ln1 = null;
      ln2 = null;
      gelu = null;
      att = null;
    }

    /** Frees this block's arrays (a decoder's when it drops a step shape). */
    void release() {
      NativeArrays.release(ln1, ln1Mean, ln1Rstd, qkv, q, k, v, att, attY, res2, ln2, ln2Mean,
          ln2Rstd, fc, gelu);
      for (AdapterActivations act : adapters) {
        if (act != null) {
          NativeArrays.release(act.keep(), act.u());
          NativeArrays.release(act.input()); // the dropped-out copy, or null
        }
      }
    }

    /** Nd4j.create's or the pool's take. */
    private interface Allocation {
      INDArray apply(org.nd4j.linalg.api.buffer.DataType dt, long... shape);
    }

    /**
     * Buffers for a (B, T) pass attending over S keys, a training pass's from the pool, the
     * attention probabilities only when {@code keepAttention}. A training pass reads q, k and v
     * in place from {@code qkv}; the decoder's gets a {@code q} and points {@code k} and
     * {@code v} at its cache.
     */
    static BlockActivations allocate(org.nd4j.linalg.api.buffer.DataType dt,
        org.rlhf4j.config.ModelConfig c, int b, int t, int s, boolean training,
        boolean keepAttention) {
      long n = (long) b * t;
      long d = c.dModel();
      int nh = c.heads();
      int hs = c.headSize();
      Allocation make = training ? ArrayPool.SHARED::take : Nd4j::create;
      BlockActivations a = new BlockActivations();
      a.ln1 = make.apply(dt, n, d);
      a.ln1Mean = make.apply(dt, n);
      a.ln1Rstd = make.apply(dt, n);
      a.qkv = make.apply(dt, n, 3 * d);
      if (!training) {
        a.q = make.apply(dt, b, nh, t, hs);
      }
      if (keepAttention) {
        a.att = make.apply(dt, b, nh, t, s);
      }
      a.attY = make.apply(dt, n, d);
      a.res2 = make.apply(dt, n, d);
      a.ln2 = make.apply(dt, n, d);
      a.ln2Mean = make.apply(dt, n);
      a.ln2Rstd = make.apply(dt, n);
      a.fc = make.apply(dt, n, 4 * d);
      a.gelu = make.apply(dt, n, 4 * d);
      return a;
    }
  }
}
