package org.rlhf4j.model;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.ForwardPass.AdapterActivations;
import org.rlhf4j.model.ForwardPass.BlockActivations;
import org.rlhf4j.model.kernels.Kernels;

/**
 * A GPT-2 decoder-only transformer: token + learned position embeddings, pre-LayerNorm blocks
 * (causal self-attention, 4× tanh-GELU MLP), final LayerNorm, LM head tied to the token embedding,
 * optional value and reward heads (the reward pooled as {@link RewardPooling} says), optional
 * LoRA adapters ({@link LoraConfig}). Stateless: parameters come in a {@link ParameterStore}.
 */
public final class Gpt {
  private static final ArrayPool POOL = ArrayPool.SHARED;
  private final ModelConfig config;
  private final EnumSet<Head> heads;
  private final Kernels kernels;
  private final ParameterLayout layout;
  private final RewardPooling rewardPooling;
  private final LoraConfig lora; // null: no adapters
  private final boolean adaptersOn; // false: the base model, adapters ignored
  private final boolean dropoutOn; // adapter dropout, in training passes only
  private final boolean recompute; // training passes drop what the backward can compute again
  private final AtomicLong forwardPasses = new AtomicLong();
  /** Attention probabilities a pass keeps at most before it computes them again instead. */
  static final long KEPT_ATTENTION_BYTES = 32L << 20;

  /** A model whose reward head, if any, reads the last real token. */
  public Gpt(ModelConfig config, Set<Head> heads, Kernels kernels) {
    this(config, heads, kernels, RewardPooling.LAST);
  }

  public Gpt(ModelConfig config, Set<Head> heads, Kernels kernels, RewardPooling rewardPooling) {
    this(config, heads, kernels, rewardPooling, null);
  }

  /** A model with {@code lora}'s adapters when it is non-null and enabled. */
  public Gpt(ModelConfig config, Set<Head> heads, Kernels kernels, RewardPooling rewardPooling,
      LoraConfig lora) {
    this(config, heads.isEmpty() ? EnumSet.noneOf(Head.class) : EnumSet.copyOf(heads), kernels,
        rewardPooling, lora != null && lora.enabled() ? lora : null, true, false, false);
  }

  private Gpt(ModelConfig config, EnumSet<Head> heads, Kernels kernels,
      RewardPooling rewardPooling, LoraConfig lora, boolean adaptersOn, boolean dropoutOn,
      boolean recompute) {
    this.config = config;
    this.heads = heads;
    this.kernels = kernels;
    this.layout = GptLayout.of(config, heads, lora);
    this.rewardPooling = rewardPooling;
    this.lora = lora;
    this.adaptersOn = adaptersOn && lora != null;
    this.dropoutOn = dropoutOn && this.adaptersOn && lora.dropout() > 0;
    this.recompute = recompute;
  }

  /**
   * Whether a training pass of {@code b} sequences of {@code t} tokens keeps its attention
   * probabilities for the backward. A recomputing model never does; otherwise they are dropped
   * where the kernels compute them again cheaply and the pass's (B, NH, T, T) arrays would come
   * to more than {@link #KEPT_ATTENTION_BYTES}: at M and G they are 134 and 151 MB, and computing
   * them again costs about 1% of M's step, while at S (8 MB) it cost 7–16% (BENCHMARKS.md).
   */
  boolean keepsAttention(int b, int t) {
    if (recompute) {
      return false;
    }
    long bytes = (long) config.layers() * b * config.heads() * t * t * Float.BYTES;
    return bytes <= KEPT_ATTENTION_BYTES
        || !kernels.recomputesAttentionCheaply(t, config.headSize());
  }

  /** Whether training passes compute activations again instead of keeping them. */
  public boolean recomputes() {
    return recompute;
  }

  /** The adapters' settings, when this model has adapters. */
  public Optional<LoraConfig> lora() {
    return Optional.ofNullable(lora);
  }

  /**
   * The same model with its adapters switched off: the frozen base, reading the same store. It is
   * LoRA's reference for the KL and for DPO, so that policy and reference are one set of weights.
   */
  public Gpt withoutAdapters() {
    return new Gpt(config, heads, kernels, rewardPooling, lora, false, false, recompute);
  }

  /** The same model with adapter dropout on, for passes whose backward trains the adapters. */
  public Gpt forTraining() {
    return new Gpt(config, heads, kernels, rewardPooling, lora, adaptersOn, true, recompute);
  }

  /**
   * The same model whose passes, when {@code on}, keep only half of each block's activations:
   * the LayerNorm and GELU outputs and the attention probabilities are computed again in the
   * backward by the same kernels (llm.c's recompute), so the gradients are the same bit for bit,
   * for less memory and a little more time.
   */
  public Gpt recomputing(boolean on) {
    return new Gpt(config, heads, kernels, rewardPooling, lora, adaptersOn, dropoutOn, on);
  }

  /** This model without adapters: the layout of {@link #merged}. */
  public Gpt base() {
    return new Gpt(config, heads, kernels, rewardPooling, null, false, false, recompute);
  }

  /**
   * This model without heads or adapters: GPT-2's body, the tensors LoRA freezes, with the LM
   * head (tied to {@code wte}). Over {@link #bodyView} it computes the base model's logits.
   */
  public Gpt body() {
    return new Gpt(config, EnumSet.noneOf(Head.class), kernels, rewardPooling, null, false, false,
        recompute);
  }

  /**
   * The body's tensors (embeddings, blocks, final LayerNorm: the beginning of every layout) as a
   * view of {@code p}. With LoRA nothing writes them, so readers on other threads may share it.
   */
  public ParameterStore bodyView(ParameterStore p) {
    return p.prefix(GptLayout.of(config, EnumSet.noneOf(Head.class)));
  }

  /**
   * The tensors an optimizer updates, as a view of {@code p}: everything without adapters; with
   * them, only the heads and the adapters (a contiguous run at the end of the layout).
   */
  public ParameterStore trainable(ParameterStore p) {
    String first = GptLayout.firstTrainable(layout);
    return first == null ? p : p.suffix(first);
  }

  /** The layout of {@link #trainable}. */
  public ParameterLayout trainableLayout() {
    String first = GptLayout.firstTrainable(layout);
    return first == null ? layout : layout.suffix(first);
  }

  /**
   * {@code base} (this model's layout without adapters) plus fresh adapters, seeded: A from
   * PEFT's uniform, B zero, so the result computes exactly what {@code base} does.
   */
  public ParameterStore withFreshAdapters(ParameterStore base, long seed) {
    ParameterStore out = ParameterStore.zeros(layout, base.dtype());
    for (ParameterSpec s : base.layout().specs()) {
      out.get(s.name()).assign(base.get(s.name()));
    }
    ParameterInit.adapters(out, seed);
    return out;
  }

  /**
   * {@code p} with every adapter folded into its layer, {@code W + (α/r)·Aᵀ·Bᵀ} in Conv1D's
   * (in, out) layout, as a store of {@link #base()}'s layout: sampling from it costs nothing
   * extra per token. Without adapters, a copy of {@code p}.
   */
  public ParameterStore merged(ParameterStore p) {
    return LoraWeights.merge(config, heads, lora, p);
  }


  /** How {@link Output#REWARDS} pools the reward head's per-token scores. */
  public RewardPooling rewardPooling() {
    return rewardPooling;
  }

  public ModelConfig config() {
    return config;
  }

  public Set<Head> heads() {
    return EnumSet.copyOf(heads);
  }

  public ParameterLayout layout() {
    return layout;
  }

  public Kernels kernels() {
    return kernels;
  }

  /** Whole-batch forward passes this instance has run (not decoder steps): what tests count. */
  public long forwardPasses() {
    return forwardPasses.get();
  }

  /** GPT-2-initialised parameters, seeded. */
  public ParameterStore initialParameters(long seed, DataType dtype) {
    return ParameterInit.gpt2(layout, config, seed, dtype);
  }

  /** Runs the model over a whole batch (training layout), keeping what {@link #backward} needs. */
  public ForwardPass forward(ParameterStore p, TokenBatch batch, Set<Output> outputs) {
    return forward(p, batch, outputs, null);
  }

  /**
   * {@link #forward(ParameterStore, TokenBatch, Set)} with logits on {@code logitRows} only (rows
   * n = b·T + t, in the order given; null for every row), as Hugging Face's {@code logits_to_keep}:
   * with a large vocabulary the output layer is most of the work, and a loss reads few rows.
   */
  public ForwardPass forward(ParameterStore p, TokenBatch batch, Set<Output> outputs,
      int[] logitRows) {
    requireFits(batch.maxPosition());
    forwardPasses.incrementAndGet();
    int b = batch.batch();
    int t = batch.length();
    int n = batch.rows();
    long c = config.dModel();
    DataType dt = p.dtype();
    // 1. embeddings
    INDArray x = POOL.take(dt, n, c); // (N, C)
    kernels.embeddingForward(x, p.get("wte.weight"), batch.ids());
    INDArray pos = POOL.take(dt, n, c); // (N, C)
    kernels.embeddingForward(pos, p.get("wpe.weight"), batch.positions());
    kernels.addInPlace(x, pos);
    NativeArrays.release(pos);
    // 2. blocks, with the causal + key-padding mask shared by all of them
    INDArray mask = attentionMask(batch.mask(), b, t, 0, t, dt);
    INDArray[] inputs = new INDArray[config.layers() + 1];
    BlockActivations[] blocks = new BlockActivations[config.layers()];
    inputs[0] = x;
    long dropoutSeed = dropoutOn ? Arrays.hashCode(batch.ids()) * 31L + b : 0;
    boolean keepAttention = keepsAttention(b, t);
    for (int l = 0; l < config.layers(); l++) {
      blocks[l] = BlockActivations.allocate(dt, config, b, t, t, true, keepAttention);
      blocks[l].dropoutSeed = dropoutSeed * 1_000_003L + l;
      inputs[l + 1] = POOL.take(dt, n, c);
      blockForward(p, l, inputs[l], blocks[l], b, t, mask, -1, inputs[l + 1]);
      if (recompute) {
        blocks[l].dropRecomputable();
      }
    }
    // 3. final LayerNorm and heads
    INDArray lnf = POOL.take(dt, n, c);
    INDArray lnfMean = POOL.take(dt, n);
    INDArray lnfRstd = POOL.take(dt, n);
    kernels.layerNormForward(lnf, lnfMean, lnfRstd, inputs[config.layers()], p.get("ln_f.weight"),
        p.get("ln_f.bias"), config.layerNormEpsilon());
    ForwardPass pass = new ForwardPass(batch, inputs, blocks, lnf, lnfMean, lnfRstd);
    if (!keepAttention) {
      pass.mask = mask; // the backward computes the attention probabilities again with it
    } else {
      NativeArrays.release(mask);
    }
    pass.logitRows = logitRows == null ? null : logitRows.clone();
    heads(p, pass, outputs);
    return pass;
  }

  /**
   * Backward of {@link #forward}: adds into {@code grads} the gradients of a loss whose
   * derivatives with respect to the outputs are {@code dlogits} (shaped as the pass's logits),
   * {@code dvalues (N)} and {@code drewards (B)} (each may be null).
   */
  public void backward(ParameterStore p, ParameterStore grads, ForwardPass pass, INDArray dlogits,
      INDArray dvalues, INDArray drewards) {
    TokenBatch batch = pass.batch;
    int b = batch.batch();
    int t = batch.length();
    int n = batch.rows();
    long c = config.dModel();
    DataType dt = p.dtype();
    // 1. heads
    INDArray dlnf = POOL.zeros(dt, n, c); // (N, C)
    if (dlogits != null && pass.logitRows == null) {
      kernels.matmulTransposedBackward(dlnf, grad(grads, "wte.weight"), dlogits, pass.lnf,
          p.get("wte.weight"));
    } else if (dlogits != null && pass.logitRows.length > 0) {
      INDArray drows = POOL.zeros(dt, pass.logitRows.length, c); // (M, C)
      kernels.matmulTransposedBackward(drows, grad(grads, "wte.weight"), dlogits, pass.lnfRows,
          p.get("wte.weight"));
      kernels.embeddingBackward(dlnf, drows, pass.logitRows); // a row scatter-add
      NativeArrays.release(drows);
    }
    if (dvalues != null) {
      requireHead(Head.VALUE);
      INDArray dv = dvalues.reshape(n, 1); // (N, 1)
      kernels.matmulTransposedBackward(dlnf, grad(grads, Head.VALUE.weightName()), dv, pass.lnf,
          p.get(Head.VALUE.weightName()));
      INDArray dbias = grad(grads, Head.VALUE.biasName());
      if (dbias != null) {
        dbias.addi(dvalues.sum());
      }
    }
    if (drewards != null && rewardPooling == RewardPooling.SUM) {
      requireHead(Head.REWARD);
      // every real token's score carries its sequence's gradient
      INDArray dtokens = rewardMask(pass.batch, dt).muliColumnVector(drewards.reshape(b, 1))
          .reshape(n, 1); // (N, 1)
      kernels.matmulTransposedBackward(dlnf, grad(grads, Head.REWARD.weightName()), dtokens,
          pass.lnf, p.get(Head.REWARD.weightName()));
    } else if (drewards != null) {
      requireHead(Head.REWARD);
      INDArray rows = Nd4j.pullRows(pass.lnf, 1, pass.rewardRows); // (B, C)
      INDArray drows = Nd4j.zeros(dt, b, c); // (B, C)
      kernels.matmulTransposedBackward(drows, grad(grads, Head.REWARD.weightName()),
          drewards.reshape(b, 1), rows, p.get(Head.REWARD.weightName()));
      // each sequence's row of dlnf += its row of drows: one kernel call, not two views and an
      // op per row (their native shape information waited for the collector)
      kernels.embeddingBackward(dlnf, drows, pass.rewardRows);
      NativeArrays.release(rows, drows);
    }
    // 2. final LayerNorm
    INDArray dx = POOL.zeros(dt, n, c); // (N, C)
    kernels.layerNormBackward(dx, grad(grads, "ln_f.weight"), grad(grads, "ln_f.bias"), dlnf,
        pass.layerInputs[config.layers()], p.get("ln_f.weight"), pass.lnfMean, pass.lnfRstd);
    // 3. blocks, last to first
    NativeArrays.release(dlnf);
    for (int l = config.layers() - 1; l >= 0; l--) {
      INDArray dout = dx;
      dx = blockBackward(p, grads, l, pass.layerInputs[l], pass.blocks[l], pass.mask, dout, b,
          t);
      NativeArrays.release(dout);
    }
    // 4. embeddings
    if (grads.find("wte.weight") != null) {
      kernels.embeddingBackward(grads.get("wte.weight"), dx, batch.ids());
    }
    if (grads.find("wpe.weight") != null) {
      kernels.embeddingBackward(grads.get("wpe.weight"), dx, batch.positions());
    }
    NativeArrays.release(dx);
  }

  /** A decoder for incremental generation over {@code batch} rows of up to {@code capacity} tokens. */
  public Decoder decoder(int batch, int capacity, DataType dtype) {
    return new Decoder(this, batch, capacity, dtype);
  }

  private void heads(ParameterStore p, ForwardPass pass, Set<Output> outputs) {
    int n = pass.batch.rows();
    int b = pass.batch.batch();
    DataType dt = p.dtype();
    if (outputs.contains(Output.LOGITS) && pass.logitRows == null) {
      pass.logits = POOL.take(dt, n, config.vocabSize()); // (N, V)
      kernels.matmulTransposedForward(pass.logits, pass.lnf, p.get("wte.weight"));
    } else if (outputs.contains(Output.LOGITS)) {
      int m = pass.logitRows.length;
      pass.lnfRows = POOL.take(dt, m, config.dModel()); // (M, C)
      pass.logits = POOL.take(dt, m, config.vocabSize()); // (M, V)
      if (m > 0) {
        kernels.embeddingForward(pass.lnfRows, pass.lnf, pass.logitRows); // a row gather
        kernels.matmulTransposedForward(pass.logits, pass.lnfRows, p.get("wte.weight"));
      }
    }
    if (outputs.contains(Output.VALUES)) {
      requireHead(Head.VALUE);
      INDArray v = Nd4j.create(dt, n, 1); // (N, 1)
      kernels.matmulTransposedForward(v, pass.lnf, p.get(Head.VALUE.weightName()));
      pass.values = v.reshape(n).addi(p.get(Head.VALUE.biasName()).getDouble(0));
    }
    if (outputs.contains(Output.REWARDS) && rewardPooling == RewardPooling.SUM) {
      requireHead(Head.REWARD);
      INDArray tokens = Nd4j.create(dt, n, 1); // (N, 1)
      kernels.matmulTransposedForward(tokens, pass.lnf, p.get(Head.REWARD.weightName()));
      pass.rewards = tokens.reshape(b, pass.batch.length()).mul(rewardMask(pass.batch, dt))
          .sum(1); // (B)
    } else if (outputs.contains(Output.REWARDS)) {
      requireHead(Head.REWARD);
      pass.rewardRows = new int[b];
      for (int i = 0; i < b; i++) {
        pass.rewardRows[i] = i * pass.batch.length() + pass.batch.lastRealIndex(i);
      }
      INDArray rows = Nd4j.pullRows(pass.lnf, 1, pass.rewardRows); // (B, C)
      INDArray r = Nd4j.create(dt, b, 1); // (B, 1)
      kernels.matmulTransposedForward(r, rows, p.get(Head.REWARD.weightName()));
      pass.rewards = r.reshape(b);
    }
  }

  /** 1 at real tokens, 0 at padding, (B, T). */
  private static INDArray rewardMask(TokenBatch batch, DataType dt) {
    return Nd4j.createFromArray(batch.mask()).castTo(dt).reshape(batch.batch(), batch.length());
  }

  /**
   * One pre-LayerNorm block into {@code out}: {@code res2 = x + attn(ln_1(x))},
   * {@code out = res2 + mlp(ln_2(res2))}, writing only into preallocated buffers. With
   * {@code cacheStart ≥ 0}, {@code a.k} and {@code a.v} are the layer's KV cache: this pass's keys
   * and values are stored at {@code cacheStart} and attention runs over the whole cache, the mask
   * hiding what is not filled.
   */
  void blockForward(ParameterStore p, int l, INDArray x, BlockActivations a, int b, int t,
      INDArray mask, int cacheStart, INDArray out) {
    String h = GptLayout.block(l);
    int nh = config.heads();
    int hs = config.headSize();
    double eps = config.layerNormEpsilon();
    // attention
    kernels.layerNormForward(a.ln1, a.ln1Mean, a.ln1Rstd, x, p.get(h + "ln_1.weight"),
        p.get(h + "ln_1.bias"), eps);
    kernels.matmulForward(a.qkv, a.ln1, p.get(h + "attn.c_attn.weight"),
        p.get(h + "attn.c_attn.bias"));
    adapterForward(p, a, l, 0, a.ln1, a.qkv, cacheStart < 0);
    if (cacheStart < 0) {
      // a training pass: attention reads the heads where the projection wrote them
      kernels.packedAttentionForward(a.attY, a.att, a.qkv, mask, nh);
    } else {
      cachedAttention(a, b, t, mask, cacheStart);
    }
    kernels.matmulForward(a.res2, a.attY, p.get(h + "attn.c_proj.weight"),
        p.get(h + "attn.c_proj.bias"));
    adapterForward(p, a, l, 1, a.attY, a.res2, cacheStart < 0);
    kernels.addInPlace(a.res2, x);
    // MLP
    kernels.layerNormForward(a.ln2, a.ln2Mean, a.ln2Rstd, a.res2, p.get(h + "ln_2.weight"),
        p.get(h + "ln_2.bias"), eps);
    kernels.matmulForward(a.fc, a.ln2, p.get(h + "mlp.c_fc.weight"), p.get(h + "mlp.c_fc.bias"));
    adapterForward(p, a, l, 2, a.ln2, a.fc, cacheStart < 0);
    kernels.geluForward(a.gelu, a.fc);
    kernels.matmulForward(out, a.gelu, p.get(h + "mlp.c_proj.weight"),
        p.get(h + "mlp.c_proj.bias"));
    adapterForward(p, a, l, 3, a.gelu, out, cacheStart < 0);
    kernels.addInPlace(out, a.res2);
  }

  /**
   * The decoder's attention: this pass's keys and values go into the layer's cache at
   * {@code cacheStart}, and the queries attend over the whole cache.
   */
  private void cachedAttention(BlockActivations a, int b, int t, INDArray mask, int cacheStart) {
    int nh = config.heads();
    int hs = config.headSize();
    kernels.cacheHeads(a.q, a.k, a.v, a.qkv, cacheStart);
    if (t == 1) {
      // with one query the permuted view is dense: attention writes straight into attY
      if (a.attYHeads == null) {
        a.attYHeads = a.attY.reshape(b, nh, 1, hs);
      }
      kernels.cachedAttentionForward(a.attYHeads, a.att, a.q, a.k, a.v, mask);
    } else {
      INDArray dense = a.q.ulike(); // (B, NH, T, HS)
      kernels.cachedAttentionForward(dense, a.att, a.q, a.k, a.v, mask);
      a.attY.reshape(b, t, nh, hs).permute(0, 2, 1, 3).assign(dense); // attY's (B, NH, T, HS) view
      NativeArrays.release(dense);
    }
  }

  /**
   * Backward of one block; returns the gradient with respect to its input {@code x}. What a
   * recomputing forward dropped (the LayerNorm and GELU outputs, the attention probabilities) is
   * computed again here by the same kernels, so the gradients are the same bit for bit.
   */
  private INDArray blockBackward(ParameterStore p, ParameterStore g, int l, INDArray x,
      BlockActivations a, INDArray mask, INDArray dout, int b, int t) {
    String h = GptLayout.block(l);
    int n = b * t;
    long c = config.dModel();
    int nh = config.heads();
    DataType dt = x.dataType();
    // MLP: out = res2 + gelu(ln_2(res2) · W_fc + b_fc) · W_proj + b_proj
    INDArray dres2 = POOL.copy(dout); // (N, C)
    INDArray dgelu = POOL.zeros(dt, n, 4 * c);
    INDArray gelu = a.gelu;
    if (gelu == null) {
      gelu = POOL.take(dt, n, 4 * c);
      kernels.geluForward(gelu, a.fc);
    }
    kernels.matmulBackward(dgelu, grad(g, h + "mlp.c_proj.weight"), grad(g, h + "mlp.c_proj.bias"),
        dout, gelu, p.get(h + "mlp.c_proj.weight"));
    adapterBackward(p, g, a, l, 3, gelu, dout, dgelu);
    releaseRecomputed(gelu, a.gelu);
    INDArray dfc = POOL.zeros(dt, n, 4 * c);
    kernels.geluBackward(dfc, dgelu, a.fc);
    NativeArrays.release(dgelu);
    INDArray dln2 = POOL.zeros(dt, n, c);
    INDArray ln2 = a.ln2 != null ? a.ln2 : layerNormAgain(p, h + "ln_2", a.res2);
    kernels.matmulBackward(dln2, grad(g, h + "mlp.c_fc.weight"), grad(g, h + "mlp.c_fc.bias"), dfc,
        ln2, p.get(h + "mlp.c_fc.weight"));
    adapterBackward(p, g, a, l, 2, ln2, dfc, dln2);
    releaseRecomputed(ln2, a.ln2);
    NativeArrays.release(dfc);
    kernels.layerNormBackward(dres2, grad(g, h + "ln_2.weight"), grad(g, h + "ln_2.bias"), dln2,
        a.res2, p.get(h + "ln_2.weight"), a.ln2Mean, a.ln2Rstd);
    // attention: res2 = x + attention(ln_1(x) · W_attn + b_attn) · W_proj + b_proj
    INDArray dx = POOL.copy(dres2);
    INDArray dattY = POOL.zeros(dt, n, c);
    kernels.matmulBackward(dattY, grad(g, h + "attn.c_proj.weight"), grad(g, h + "attn.c_proj.bias"),
        dres2, a.attY, p.get(h + "attn.c_proj.weight"));
    adapterBackward(p, g, a, l, 1, a.attY, dres2, dattY);
    INDArray dqkvRows = POOL.zeros(dt, n, 3 * c); // (N, 3C)
    kernels.packedAttentionBackward(dqkvRows, dattY, a.qkv, a.att, mask, nh);
    INDArray dln1 = POOL.zeros(dt, n, c);
    INDArray ln1 = a.ln1 != null ? a.ln1 : layerNormAgain(p, h + "ln_1", x);
    kernels.matmulBackward(dln1, grad(g, h + "attn.c_attn.weight"), grad(g, h + "attn.c_attn.bias"),
        dqkvRows, ln1, p.get(h + "attn.c_attn.weight"));
    adapterBackward(p, g, a, l, 0, ln1, dqkvRows, dln1);
    kernels.layerNormBackward(dx, grad(g, h + "ln_1.weight"), grad(g, h + "ln_1.bias"), dln1, x,
        p.get(h + "ln_1.weight"), a.ln1Mean, a.ln1Rstd);
    releaseRecomputed(ln1, a.ln1);
    NativeArrays.release(dres2, dln2, dattY, dqkvRows, dln1);
    return dx;
  }

  /** Frees {@code used} when it was computed again, not the forward's {@code kept}. */
  private static void releaseRecomputed(INDArray used, INDArray kept) {
    if (used != kept) {
      NativeArrays.release(used);
    }
  }

  /** LayerNorm {@code name} of {@code x} computed again, as the forward did, from the pool. */
  private INDArray layerNormAgain(ParameterStore p, String name, INDArray x) {
    DataType dt = x.dataType();
    INDArray out = POOL.take(dt, x.shape());
    INDArray mean = POOL.take(dt, x.size(0));
    INDArray rstd = POOL.take(dt, x.size(0));
    kernels.layerNormForward(out, mean, rstd, x, p.get(name + ".weight"), p.get(name + ".bias"),
        config.layerNormEpsilon());
    NativeArrays.release(mean, rstd);
    return out;
  }

  /**
   * Adds linear layer {@code slot}'s adapter to its output: {@code out += (α/r)·x·Aᵀ·Bᵀ}, x
   * dropped out in a training pass ({@code mayDrop}: not the decoder's), keeping what the
   * backward needs in {@code a}.
   */
  private void adapterForward(ParameterStore p, BlockActivations a, int l, int slot, INDArray x,
      INDArray out, boolean mayDrop) {
    String module = adaptedModule(l, slot);
    if (module == null) {
      return;
    }
    INDArray aDown = p.get(GptLayout.loraA(module)); // (r, in)
    INDArray bUp = p.get(GptLayout.loraB(module)); // (out, r)
    INDArray input = x;
    INDArray keep = null;
    if (dropoutOn && mayDrop) {
      keep = dropoutKeep(x, a.dropoutSeed * 8 + slot);
      input = x.mul(keep);
    }
    INDArray u = Nd4j.create(x.dataType(), x.size(0), lora.rank()); // (N, r)
    kernels.matmulTransposedForward(u, input, aDown);
    u.muli(lora.scale());
    INDArray delta = out.ulike(); // (N, out)
    kernels.matmulTransposedForward(delta, u, bUp);
    out.addi(delta);
    NativeArrays.release(delta);
    a.adapters[slot] = new AdapterActivations(keep == null ? null : input, keep, u);
  }

  /**
   * Backward of {@link #adapterForward} on the layer's input {@code x}: {@code dB += doutᵀ·u},
   * {@code dA += (α/r)·(dout·B)ᵀ·x} and {@code dx += (α/r)·dout·B·A}, masked as the forward
   * dropped.
   */
  private void adapterBackward(ParameterStore p, ParameterStore g, BlockActivations a, int l,
      int slot, INDArray x, INDArray dout, INDArray dx) {
    String module = adaptedModule(l, slot);
    if (module == null) {
      return;
    }
    AdapterActivations act = a.adapters[slot];
    INDArray du = act.u().ulike().assign(0); // (N, r)
    kernels.matmulTransposedBackward(du, grad(g, GptLayout.loraB(module)), dout, act.u(),
        p.get(GptLayout.loraB(module)));
    du.muli(lora.scale());
    INDArray dinput = act.keep() == null ? dx : dx.ulike().assign(0);
    INDArray input = act.keep() == null ? x : act.input();
    kernels.matmulTransposedBackward(dinput, grad(g, GptLayout.loraA(module)), du, input,
        p.get(GptLayout.loraA(module)));
    if (act.keep() != null) {
      dx.addi(dinput.muli(act.keep()));
      NativeArrays.release(dinput);
    }
    NativeArrays.release(du);
  }

  /** Block {@code l}'s layer {@code slot} when it has an adapter in use, else null. */
  private String adaptedModule(int l, int slot) {
    if (!adaptersOn) {
      return null;
    }
    String path = GptLayout.LINEARS.get(slot).path();
    return lora.targets(path) ? GptLayout.block(l) + path : null;
  }

  /** Inverted dropout's mask shaped as {@code x}: 0 with probability p, else 1/(1 − p), seeded. */
  private INDArray dropoutKeep(INDArray x, long seed) {
    double rate = lora.dropout();
    float kept = (float) (1.0 / (1.0 - rate));
    SplittableRandom rng = new SplittableRandom(seed);
    float[] mask = new float[Math.toIntExact(x.length())];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = rng.nextDouble() < rate ? 0f : kept;
    }
    return Nd4j.createFromArray(mask).castTo(x.dataType()).reshape(x.shape());
  }

  /** {@code g}'s tensor of that name, or null when it is frozen (not in the gradient's layout). */
  private static INDArray grad(ParameterStore g, String name) {
    return g.find(name);
  }

  /** A new additive attention mask {@code (B, NH, T, S)}; see {@link #fillAttentionMask}. */
  INDArray attentionMask(int[] keyMask, int b, int t, int start, int s, DataType dt) {
    INDArray mask = POOL.take(dt, b, config.heads(), t, s);
    fillAttentionMask(mask, keyMask, b, t, start, s);
    return mask;
  }

  /**
   * Fills the additive mask {@code (B, NH, T, S)}: query i (absolute index start + i) sees key j
   * when j ≤ start + i and key j is a real token ({@code keyMask (B, S)}); every query also sees
   * itself, so a padding row has a defined output while no real token attends to padding. Keys
   * after start + T − 1 (an unfilled cache) are hidden.
   */
  void fillAttentionMask(INDArray mask, int[] keyMask, int b, int t, int start, int s) {
    int nh = config.heads();
    float[] plane = new float[t * s]; // one row's (T, S), the same for each of its heads
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < t; i++) {
        int self = start + i;
        for (int j = 0; j < s; j++) {
          boolean visible = j == self || (j < self && keyMask[r * s + j] == 1);
          plane[i * s + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
        }
      }
      for (int h = 0; h < nh; h++) {
        NativeArrays.write(mask, ((long) r * nh + h) * plane.length, plane);
      }
    }
  }

  private void requireFits(int maxPosition) {
    if (maxPosition >= config.contextLength()) {
      throw new IllegalArgumentException("position " + maxPosition + " is beyond the context length "
          + config.contextLength());
    }
  }

  private void requireHead(Head head) {
    if (!heads.contains(head)) {
      throw new IllegalStateException("this model has no " + head + " head");
    }
  }
}
