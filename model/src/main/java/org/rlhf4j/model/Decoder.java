package org.rlhf4j.model;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.ForwardPass.BlockActivations;
import org.rlhf4j.model.kernels.FrozenWeights;
import org.rlhf4j.model.kernels.Kernels;

/**
 * Incremental decoding for (B, capacity) tokens: a KV cache per layer plus every activation
 * buffer, allocated once per step shape and reused, so a decode step allocates no tensor memory.
 * Rows that have finished can be dropped ({@link #keepRows}), so that the steps after them cost
 * only the rows still writing. Owned by one thread; the parameters it reads may be shared.
 */
public final class Decoder {
  private final Gpt gpt;
  private final ModelConfig config;
  private final DataType dtype;
  private final int batch;
  private final int capacity;
  private final INDArray[] keys; // L × (B, NH, ⌈capacity/16⌉, HS, 16): Kernels.cacheHeads' blocks
  private final INDArray[] values; // L × (B, NH, capacity, HS)
  private final int[] keyMask; // (B, capacity)
  private final int[] realTokens; // (B): the next position id of each row
  private final Map<Long, StepBuffers> buffers = new HashMap<>(); // by (rows, T)
  private final INDArray[] keyRows; // L views of the first active rows of keys
  private final INDArray[] valueRows; // L views of the first active rows of values
  // the weights' packed copies for few-row products, made on the first step after a reset
  private final FrozenWeights frozen = new FrozenWeights();
  private ParameterStore packedFor;
  private int filled;
  private int active; // rows in use: the first `active` of the cache

  /** Buffers for steps of T tokens. */
  private static final class StepBuffers {
    final INDArray x; // (N, C)
    final INDArray pos; // (N, C)
    final INDArray next; // (N, C)
    final BlockActivations a;
    final INDArray mask; // (B, NH, T, capacity)
    final INDArray lnf; // (N, C)
    final INDArray lnfMean; // (N)
    final INDArray lnfRstd; // (N)
    final INDArray lnfLast; // (B, C): each row's last position
    final INDArray logits; // (B, V)
    final int[] positions; // (N)
    final int[] lastRows; // (B): the index in N of each row's last position

    StepBuffers(ModelConfig c, DataType dt, int b, int t, int capacity) {
      long n = (long) b * t;
      x = Nd4j.create(dt, n, c.dModel());
      pos = Nd4j.create(dt, n, c.dModel());
      next = Nd4j.create(dt, n, c.dModel());
      a = BlockActivations.allocate(dt, c, b, t, capacity, false, true);
      mask = Nd4j.create(dt, b, c.heads(), t, capacity);
      lnf = Nd4j.create(dt, n, c.dModel());
      lnfMean = Nd4j.create(dt, n);
      lnfRstd = Nd4j.create(dt, n);
      lnfLast = Nd4j.create(dt, b, c.dModel());
      logits = Nd4j.create(dt, b, c.vocabSize());
      positions = new int[(int) n];
      lastRows = new int[b];
      for (int r = 0; r < b; r++) {
        lastRows[r] = r * t + t - 1;
      }
    }
  }

  Decoder(Gpt gpt, int batch, int capacity, DataType dtype) {
    this.gpt = gpt;
    this.config = gpt.config();
    if (capacity > config.contextLength()) {
      throw new IllegalArgumentException("capacity " + capacity + " exceeds the context length "
          + config.contextLength());
    }
    this.dtype = dtype;
    this.batch = batch;
    this.capacity = capacity;
    this.keys = new INDArray[config.layers()];
    int keyBlocks = (capacity + Kernels.KEY_BLOCK - 1) / Kernels.KEY_BLOCK;
    this.values = new INDArray[config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      keys[l] = Nd4j.zeros(dtype, batch, config.heads(), keyBlocks, config.headSize(),
          Kernels.KEY_BLOCK);
      values[l] = Nd4j.zeros(dtype, batch, config.heads(), capacity, config.headSize());
    }
    this.keyMask = new int[batch * capacity];
    this.realTokens = new int[batch];
    this.keyRows = keys.clone();
    this.valueRows = values.clone();
    this.active = batch;
  }

  public int batch() {
    return batch;
  }

  public int capacity() {
    return capacity;
  }

  /** Rows in use: B until {@link #keepRows} drops some. */
  public int rows() {
    return active;
  }

  /** Tokens per row held so far, padding included. */
  public int length() {
    return filled;
  }

  /**
   * Empties the cache for the next batch of the same shape; buffers are kept. The weights may
   * change from here on: the packed copies of the last batch's are dropped.
   */
  public void reset() {
    frozen.clear();
    packedFor = null;
    filled = 0;
    Arrays.fill(keyMask, 0);
    Arrays.fill(realTokens, 0);
    setActive(batch);
  }

  /**
   * Keeps the rows {@code rows} (indices among the rows in use, ascending) as rows 0, 1, ... with
   * everything cached for them; the next steps take {@code rows.length} rows.
   */
  public void keepRows(int[] rows) {
    if (rows.length == 0) {
      throw new IllegalArgumentException("keep at least one row");
    }
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] < i || rows[i] >= active || (i > 0 && rows[i] <= rows[i - 1])) {
        throw new IllegalArgumentException("rows to keep must be ascending indices below "
            + active + ", got " + Arrays.toString(rows));
      }
    }
    // rows[i] >= i: each row moves up or stays, and no source is overwritten before it is read
    for (int i = 0; i < rows.length; i++) {
      int from = rows[i];
      if (from == i) {
        continue;
      }
      for (int l = 0; l < config.layers(); l++) {
        keys[l].slice(i).assign(keys[l].slice(from));
        values[l].slice(i).assign(values[l].slice(from));
      }
      System.arraycopy(keyMask, from * capacity, keyMask, i * capacity, capacity);
      realTokens[i] = realTokens[from];
    }
    setActive(rows.length);
  }

  private void setActive(int rows) {
    if (rows == active) {
      return;
    }
    active = rows;
    for (int l = 0; l < config.layers(); l++) {
      keyRows[l] = rows == batch ? keys[l]
          : keys[l].get(interval(0, rows), all(), all(), all(), all());
      valueRows[l] = rows == batch ? values[l]
          : values[l].get(interval(0, rows), all(), all(), all());
    }
  }

  /**
   * Runs {@code ids (B, T)} with {@code mask (B, T)} (B the {@link #rows} in use) after what the
   * cache holds and returns the logits {@code (B, V)} of each row's last position, a buffer that the next step overwrites. A
   * left-padded prompt goes in whole, then one token per row per step (mask 0 for rows that have
   * finished). Only the last positions get logits: a prompt's others are never sampled from, and
   * with a large vocabulary their output layer would cost as much as all the decode steps'.
   * {@code p}'s weights must not change until the next {@link #reset}: the products keep packed
   * copies of them.
   */
  public INDArray step(ParameterStore p, int[] ids, int[] mask) {
    int b = active;
    int t = ids.length / b;
    if (ids.length != b * t || mask.length != ids.length || t == 0) {
      throw new IllegalArgumentException("ids and mask must be (B, T) with B = " + b);
    }
    if (filled + t > capacity) {
      throw new IllegalArgumentException("the cache holds " + filled + " of " + capacity
          + " tokens; " + t + " more do not fit");
    }
    StepBuffers s = buffers.computeIfAbsent(((long) b << 32) | t,
        k -> new StepBuffers(config, dtype, b, t, capacity));
    int start = filled;
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < t; i++) {
        int k = r * t + i;
        s.positions[k] = realTokens[r];
        keyMask[r * capacity + start + i] = mask[k];
        realTokens[r] += mask[k];
      }
    }
    for (int position : s.positions) {
      if (position >= config.contextLength()) {
        throw new IllegalArgumentException("position " + position + " is beyond the context length "
            + config.contextLength());
      }
    }
    if (p != packedFor) {
      frozen.clear();
      packedFor = p;
    }
    FrozenWeights before = frozen.activate();
    try {
      return forward(p, ids, s, b, t, start);
    } finally {
      FrozenWeights.restore(before);
    }
  }

  private INDArray forward(ParameterStore p, int[] ids, StepBuffers s, int b, int t, int start) {
    var kernels = gpt.kernels();
    kernels.embeddingForward(s.x, p.get("wte.weight"), ids);
    kernels.embeddingForward(s.pos, p.get("wpe.weight"), s.positions);
    kernels.addInPlace(s.x, s.pos);
    gpt.fillAttentionMask(s.mask, keyMask, b, t, start, capacity);
    INDArray in = s.x;
    INDArray out = s.next;
    for (int l = 0; l < config.layers(); l++) {
      s.a.k = keyRows[l];
      s.a.v = valueRows[l];
      gpt.blockForward(p, l, in, s.a, b, t, s.mask, start, out);
      INDArray swap = in;
      in = out;
      out = swap;
    }
    filled = start + t;
    kernels.layerNormForward(s.lnf, s.lnfMean, s.lnfRstd, in, p.get("ln_f.weight"),
        p.get("ln_f.bias"), config.layerNormEpsilon());
    kernels.embeddingForward(s.lnfLast, s.lnf, s.lastRows); // a row gather
    kernels.matmulTransposedForward(s.logits, s.lnfLast, p.get("wte.weight"));
    return s.logits;
  }
}
