package org.rlhf4j.model;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
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
 * only the rows still writing, and a batch of another length only resizes the cache
 * ({@link #reset(int)}). Owned by one thread; the parameters it reads may be shared.
 */
public final class Decoder {
  private final Gpt gpt;
  private final ModelConfig config;
  private final DataType dtype;
  private final int batch;
  private int capacity;
  private final INDArray[] keys; // L × (B, NH, ⌈capacity/16⌉, HS, 16): Kernels.cacheHeads' blocks
  private final INDArray[] values; // L × (B, NH, capacity, HS)
  private int[] keyMask; // (B, capacity)
  private final int[] realTokens; // (B): the next position id of each row
  private final Map<Long, StepBuffers> buffers = new HashMap<>(); // by (rows, T)
  private final INDArray[] keyRows; // L views of the first active rows of keys
  private final INDArray[] valueRows; // L views of the first active rows of values
  // the caches' views for each number of rows in use, made once per capacity: ND4J's get()
  // cost more than a few-row step's attention (JFR of sampling)
  private final Map<Integer, INDArray[][]> rowViews = new HashMap<>();
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
    INDArray mask; // (B, NH, T, capacity)
    final INDArray lnf; // (N, C)
    final INDArray lnfMean; // (N)
    final INDArray lnfRstd; // (N)
    final INDArray lnfLast; // (B, C): each row's last position
    final INDArray logits; // (B, V)
    final int[] positions; // (N)
    final int[] lastRows; // (B): the index in N of each row's last position
    final int t;

    StepBuffers(ModelConfig c, DataType dt, int b, int t, int capacity) {
      this.t = t;
      long n = (long) b * t;
      x = Nd4j.create(dt, n, c.dModel());
      pos = Nd4j.create(dt, n, c.dModel());
      next = Nd4j.create(dt, n, c.dModel());
      // no attention probabilities: a decode step never reads them
      a = BlockActivations.allocate(dt, c, b, t, capacity, false, false);
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

    /** Sizes the mask for {@code s} keys (nothing else needs it). */
    void attendOver(int s) {
      if (s == mask.size(3)) {
        return;
      }
      INDArray old = mask;
      mask = Nd4j.create(old.dataType(), old.size(0), old.size(1), old.size(2), s);
      NativeArrays.release(old);
    }

    void release() {
      a.k = null; // the decoder's cache, which outlives these buffers
      a.v = null;
      a.release();
      NativeArrays.release(x, pos, next, mask, lnf, lnfMean, lnfRstd, lnfLast, logits);
    }
  }

  Decoder(Gpt gpt, int batch, int capacity, DataType dtype) {
    this.gpt = gpt;
    this.config = gpt.config();
    this.dtype = dtype;
    this.batch = batch;
    this.keys = new INDArray[config.layers()];
    this.values = new INDArray[config.layers()];
    this.keyRows = new INDArray[config.layers()];
    this.valueRows = new INDArray[config.layers()];
    this.realTokens = new int[batch];
    allocateCache(capacity);
  }

  /** Empty caches of {@code capacity} positions, with every row in use. */
  private void allocateCache(int capacity) {
    if (capacity < 1 || capacity > config.contextLength()) {
      throw new IllegalArgumentException("capacity " + capacity + " is not in 1.."
          + config.contextLength());
    }
    this.capacity = capacity;
    int keyBlocks = (capacity + Kernels.KEY_BLOCK - 1) / Kernels.KEY_BLOCK;
    for (int l = 0; l < config.layers(); l++) {
      keys[l] = Nd4j.zeros(dtype, batch, config.heads(), keyBlocks, config.headSize(),
          Kernels.KEY_BLOCK);
      values[l] = Nd4j.zeros(dtype, batch, config.heads(), capacity, config.headSize());
      keyRows[l] = keys[l];
      valueRows[l] = values[l];
    }
    keyMask = new int[batch * capacity];
    rowViews.clear();
    active = batch;
  }

  public int batch() {
    return batch;
  }

  public int capacity() {
    return capacity;
  }

  /** The layers' key and value caches, for tests. */
  List<INDArray> caches() {
    List<INDArray> all = new ArrayList<>(Arrays.asList(keys));
    all.addAll(Arrays.asList(values));
    return all;
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
    resetForSameWeights(capacity);
  }

  /**
   * Empties the cache for a batch of the same rows and up to {@code capacity} tokens, as a new
   * decoder of that capacity would start (the same logits, bit for bit), keeping every buffer
   * whose size does not depend on the capacity. Logits a step returned before are invalid after.
   */
  public void reset(int capacity) {
    resize(capacity);
    reset();
  }

  /**
   * As {@link #reset(int)}, keeping the copies packed from the last batch's weights: for a caller
   * that steps on with the same weights, unchanged (the same frozen snapshot's; a store's identity
   * alone does not say so, as a freed snapshot's store is reused for a later one). Packing
   * the demo's model, its output layer included, cost as much as a few steps of a rollout batch.
   */
  public void resetForSameWeights(int capacity) {
    resize(capacity);
    filled = 0;
    Arrays.fill(keyMask, 0);
    Arrays.fill(realTokens, 0);
    setActive(batch);
  }

  /** Weights packed for few-row products since the weights last changed (tests). */
  int packedWeights() {
    return frozen.packedCount();
  }

  private void resize(int capacity) {
    if (capacity != this.capacity) {
      INDArray[] oldKeys = keys.clone();
      INDArray[] oldValues = values.clone();
      allocateCache(capacity); // checks capacity before anything is freed
      NativeArrays.release(oldKeys);
      NativeArrays.release(oldValues);
    }
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
        gpt.kernels().copySlice(keys[l], from, i);
        gpt.kernels().copySlice(values[l], from, i);
      }
      System.arraycopy(keyMask, from * capacity, keyMask, i * capacity, capacity);
      realTokens[i] = realTokens[from];
    }
    setActive(rows.length);
  }

  private void dropPromptBuffers() {
    buffers.values().removeIf(s -> {
      if (s.t > 1) {
        s.release();
      }
      return s.t > 1;
    });
  }

  private void setActive(int rows) {
    if (rows == active) {
      return;
    }
    active = rows;
    INDArray[][] views = rowViews.computeIfAbsent(rows, r -> {
      INDArray[][] v = new INDArray[2][config.layers()];
      for (int l = 0; l < config.layers(); l++) {
        v[0][l] = r == batch ? keys[l] : keys[l].get(interval(0, r), all(), all(), all(), all());
        v[1][l] = r == batch ? values[l] : values[l].get(interval(0, r), all(), all(), all());
      }
      return v;
    });
    System.arraycopy(views[0], 0, keyRows, 0, keyRows.length);
    System.arraycopy(views[1], 0, valueRows, 0, valueRows.length);
  }

  /**
   * Runs {@code ids (B, T)} with {@code mask (B, T)} (B the {@link #rows} in use) after what the
   * cache holds and returns the logits {@code (B, V)} of each row's last position: a buffer that
   * the next step of the same shape overwrites, and that a prompt of another shape or a reset to
   * another capacity frees. A left-padded prompt goes in whole, then one token per row per step
   * (mask 0 for rows that have finished). Only the last positions get logits: a prompt's others
   * are never sampled from, and with a large vocabulary their output layer would cost as much as
   * all the decode steps'. {@code p}'s weights must not change until the next {@link #reset}
   * ({@link #resetForSameWeights} does not count): the products keep packed copies of them.
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
    long shape = ((long) b << 32) | t;
    if (t > 1 && !buffers.containsKey(shape)) {
      dropPromptBuffers(); // one prompt shape's at a time: prompts of many lengths would pile up
    }
    StepBuffers s = buffers.computeIfAbsent(shape,
        k -> new StepBuffers(config, dtype, b, t, capacity));
    s.attendOver(capacity);
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
    kernels.decodeLogitsForward(s.logits, s.lnfLast, p.get("wte.weight"));
    return s.logits;
  }
}
