package org.rlhf4j.model.kernels;

import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.model.ArrayPool;
import org.rlhf4j.model.NativeArrays;

/**
 * The CPU fast path: float32 forward and backward kernels and AdamW as Java Vector API loops over
 * the arrays' native memory, products through the oneDNN {@code Mmul} op with alpha/beta
 * accumulation. Attention up to {@link PackedAttention}'s limits works in per-thread heap scratch,
 * longer attention's split heads and score gradient come from {@link ArrayPool}, so a warm step
 * maps no new memory, and one instance may be shared by model copies on several threads. Every
 * kernel in double precision (or with any non-float argument) delegates to {@link Nd4jKernels},
 * the reference this class is tested against; so does
 * {@code matmulTransposedBackward}, whose reference is already two {@code Mmul} calls.
 *
 * <p>Why: ND4J's element-wise ops cost 5-7 ns per element per op here; the same GELU as a Vector
 * API loop over the same memory runs about 7× faster (BENCHMARKS.md).
 */
public final class VectorKernels implements Kernels {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);
  private static final float GELU_CUBIC = 0.044715f;
  private static final int GELU_BLOCK = 2048; // floats: 8 KB, so a block's three passes stay in L1
  // GELU's tanh terms, one block per thread (model copies share this instance)
  private static final ThreadLocal<INDArray> GELU_SCRATCH =
      ThreadLocal.withInitial(() -> Nd4j.create(DataType.FLOAT, GELU_BLOCK));
  private static final MMulTranspose NN = new MMulTranspose(false, false, false);
  private static final MMulTranspose NT = new MMulTranspose(false, true, false);
  private static final MMulTranspose TN = new MMulTranspose(true, false, false);

  private static final ArrayPool POOL = ArrayPool.SHARED;

  private final Nd4jKernels reference = new Nd4jKernels();

  /**
   * The fewest rows whose decode logits read the frozen embedding's packed transpose. From 16 rows
   * ND4J's product of a transposed weight moves to a slower path (16 × 128 × 8192: 0.38 ms at 8
   * rows, 0.54 at 16; packed, 0.18 at 16), and on this project's AVX-512 hosts that path sums each
   * element in one chain, as the packed kernel does, so at the demo's width the logits keep their
   * bits. Below 16 it sums in lanes and then across them, which the packed kernel does not
   * reproduce: the demo's results are tied to those bits (BENCHMARKS.md, sessions 22–24).
   */
  static final int PACKED_HEAD_ROWS = 16;

  private static boolean isFloat(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && a.dataType() != DataType.FLOAT) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void matmulForward(INDArray out, INDArray inp, INDArray weight, INDArray bias) {
    if (!isFloat(out, inp, weight, bias)) {
      reference.matmulForward(out, inp, weight, bias);
      return;
    }
    long k = weight.size(0);
    long n = weight.size(1);
    long rows = inp.length() / k;
    FrozenWeights frozen = FrozenWeights.active();
    boolean packed = frozen != null && FewRowMatmul.takesPacked(rows, n);
    if (packed || (rows <= FewRowMatmul.MAX_ROWS && k * n <= FewRowMatmul.MAX_WEIGHTS)) {
      FloatMemory y = FloatMemory.of(out);
      FloatMemory x = FloatMemory.of(inp);
      FloatMemory w = FloatMemory.of(weight);
      FloatMemory b = bias == null ? null : FloatMemory.of(bias);
      if (packed) {
        FewRowMatmul.forward(y, x, frozen.panels(weight, w, (int) k, (int) n), b, (int) rows);
      } else {
        FewRowMatmul.forward(y, x, w, b, (int) rows, (int) k, (int) n);
      }
      keepAlive(out, inp, weight, bias);
      return;
    }
    Nd4j.exec(new Mmul(inp, weight, out, 1.0, 0.0, NN));
    if (bias != null) {
      addRowVector(out, bias);
    }
  }

  @Override
  public void matmulBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight) {
    if (!isFloat(dinp, dweight, dbias, dout, inp, weight)) {
      reference.matmulBackward(dinp, dweight, dbias, dout, inp, weight);
      return;
    }
    if (dinp != null) {
      Nd4j.exec(new Mmul(dout, weight, dinp, 1.0, 1.0, NT)); // dinp += dout · weightᵀ
    }
    if (dweight != null) {
      Nd4j.exec(new Mmul(inp, dout, dweight, 1.0, 1.0, TN)); // dweight += inpᵀ · dout
    }
    if (dbias != null) {
      addColumnSums(dbias, dout);
    }
  }

  @Override
  public void matmulTransposedForward(INDArray out, INDArray inp, INDArray weight) {
    if (!isFloat(out, inp, weight)) {
      reference.matmulTransposedForward(out, inp, weight);
      return;
    }
    Nd4j.exec(new Mmul(inp, weight, out, 1.0, 0.0, NT));
  }

  @Override
  public void decodeLogitsForward(INDArray logits, INDArray x, INDArray embedding) {
    long n = embedding.size(0);
    long k = embedding.size(1);
    long rows = x.length() / k;
    FrozenWeights frozen = FrozenWeights.active();
    if (frozen == null || !isFloat(logits, x, embedding)) {
      matmulTransposedForward(logits, x, embedding);
      return;
    }
    if (LaneTreeLogits.applies(rows, k, n)) {
      lanePackedLogits(frozen, logits, x, embedding, (int) rows);
    } else if (rows >= PACKED_HEAD_ROWS && FewRowMatmul.takesPacked(rows, n)) {
      FewRowMatmul.forward(FloatMemory.of(logits), FloatMemory.of(x), frozen.transposedPanels(
          embedding, FloatMemory.of(embedding), (int) n, (int) k), null, (int) rows);
    } else {
      matmulTransposedForward(logits, x, embedding);
    }
    keepAlive(logits, x, embedding);
  }

  /**
   * A few rows' logits in ND4J's own order from the lane-packed embedding, where ND4J's first
   * product of this shape here showed that order; else ND4J's.
   */
  private void lanePackedLogits(FrozenWeights frozen, INDArray logits, INDArray x,
      INDArray embedding, int rows) {
    int n = (int) embedding.size(0);
    int k = (int) embedding.size(1);
    Boolean agrees = LaneTreeLogits.agreesWithNd4j(rows, k, n);
    if (agrees == Boolean.FALSE) {
      matmulTransposedForward(logits, x, embedding);
      return;
    }
    FloatMemory w = FloatMemory.of(embedding);
    LaneTreeLogits.Packed packed = frozen.lanePacked(embedding, w, n, k);
    if (agrees == null) {
      matmulTransposedForward(logits, x, embedding);
      if (!LaneTreeLogits.learn(FloatMemory.of(logits), FloatMemory.of(x), w, packed, rows)) {
        frozen.dropLanePacked(embedding);
      }
    } else {
      LaneTreeLogits.forward(FloatMemory.of(logits), FloatMemory.of(x), w, packed, rows);
    }
  }

  @Override
  public void matmulTransposedBackward(INDArray dinp, INDArray dweight, INDArray dout,
      INDArray inp, INDArray weight) {
    reference.matmulTransposedBackward(dinp, dweight, dout, inp, weight);
  }

  @Override
  public void layerNormForward(INDArray out, INDArray mean, INDArray rstd, INDArray inp,
      INDArray weight, INDArray bias, double eps) {
    if (!isFloat(out, mean, rstd, inp, weight, bias)) {
      reference.layerNormForward(out, mean, rstd, inp, weight, bias, eps);
      return;
    }
    int n = (int) inp.size(0);
    int c = (int) inp.size(1);
    FloatMemory x = FloatMemory.of(inp);
    FloatMemory y = FloatMemory.of(out);
    FloatMemory w = FloatMemory.of(weight);
    FloatMemory b = FloatMemory.of(bias);
    FloatMemory mu = FloatMemory.of(mean);
    FloatMemory rs = FloatMemory.of(rstd);
    int bound = F.loopBound(c);
    for (int r = 0; r < n; r++) {
      long row = (long) r * c;
      float m = sum(x, row, c) / c;
      FloatVector acc = FloatVector.zero(F);
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector d = FloatVector.fromByteBuffer(F, x.bytes, x.at(row + i), LE).sub(m);
        acc = d.fma(d, acc);
      }
      float var = VectorMath.sum(acc);
      for (; i < c; i++) {
        float d = x.get(row + i) - m;
        var += d * d;
      }
      float s = (float) (1.0 / Math.sqrt(var / c + eps));
      mu.put(r, m);
      rs.put(r, s);
      i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector v = FloatVector.fromByteBuffer(F, x.bytes, x.at(row + i), LE).sub(m).mul(s);
        FloatVector g = FloatVector.fromByteBuffer(F, w.bytes, w.at(i), LE);
        FloatVector o = FloatVector.fromByteBuffer(F, b.bytes, b.at(i), LE);
        v.fma(g, o).intoByteBuffer(y.bytes, y.at(row + i), LE);
      }
      for (; i < c; i++) {
        y.put(row + i, (x.get(row + i) - m) * s * w.get(i) + b.get(i));
      }
    }
    keepAlive(inp, out, weight, bias, mean, rstd);
  }

  @Override
  public void layerNormBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight, INDArray mean, INDArray rstd) {
    if (!isFloat(dinp, dweight, dbias, dout, inp, weight, mean, rstd)) {
      reference.layerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd);
      return;
    }
    // llm.c's layernorm_backward: with norm = (x − mean)·rstd and dnorm = dout ⊙ weight,
    // dinp += (dnorm − mean(dnorm) − norm·mean(dnorm ⊙ norm))·rstd, dweight += Σ_n norm ⊙ dout,
    // dbias += Σ_n dout
    int n = (int) inp.size(0);
    int c = (int) inp.size(1);
    FloatMemory x = FloatMemory.of(inp);
    FloatMemory g = FloatMemory.of(dout);
    FloatMemory w = FloatMemory.of(weight);
    FloatMemory mu = FloatMemory.of(mean);
    FloatMemory rs = FloatMemory.of(rstd);
    FloatMemory dx = dinp == null ? null : FloatMemory.of(dinp);
    FloatMemory dw = dweight == null ? null : FloatMemory.of(dweight);
    FloatMemory db = dbias == null ? null : FloatMemory.of(dbias);
    int bound = F.loopBound(c);
    for (int r = 0; r < n; r++) {
      long row = (long) r * c;
      float m = mu.get(r);
      float s = rs.get(r);
      // 1. row sums of dnorm and dnorm ⊙ norm; the parameter gradients on the way
      FloatVector sumV = FloatVector.zero(F);
      FloatVector dotV = FloatVector.zero(F);
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector gi = FloatVector.fromByteBuffer(F, g.bytes, g.at(row + i), LE);
        FloatVector norm = FloatVector.fromByteBuffer(F, x.bytes, x.at(row + i), LE).sub(m).mul(s);
        FloatVector dnorm = gi.mul(FloatVector.fromByteBuffer(F, w.bytes, w.at(i), LE));
        sumV = dnorm.add(sumV);
        dotV = dnorm.fma(norm, dotV);
        if (db != null) {
          FloatVector.fromByteBuffer(F, db.bytes, db.at(i), LE).add(gi)
              .intoByteBuffer(db.bytes, db.at(i), LE);
        }
        if (dw != null) {
          norm.fma(gi, FloatVector.fromByteBuffer(F, dw.bytes, dw.at(i), LE))
              .intoByteBuffer(dw.bytes, dw.at(i), LE);
        }
      }
      float sum = VectorMath.sum(sumV);
      float dot = VectorMath.sum(dotV);
      for (; i < c; i++) {
        float gi = g.get(row + i);
        float norm = (x.get(row + i) - m) * s;
        float dnorm = gi * w.get(i);
        sum += dnorm;
        dot += dnorm * norm;
        if (db != null) {
          db.put(i, db.get(i) + gi);
        }
        if (dw != null) {
          dw.put(i, dw.get(i) + norm * gi);
        }
      }
      if (dx == null) {
        continue;
      }
      // 2. dinp
      float dnormMean = sum / c;
      float dnormNormMean = dot / c;
      i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector norm = FloatVector.fromByteBuffer(F, x.bytes, x.at(row + i), LE).sub(m).mul(s);
        FloatVector dnorm = FloatVector.fromByteBuffer(F, g.bytes, g.at(row + i), LE)
            .mul(FloatVector.fromByteBuffer(F, w.bytes, w.at(i), LE));
        dnorm.sub(dnormMean).sub(norm.mul(dnormNormMean)).mul(s)
            .add(FloatVector.fromByteBuffer(F, dx.bytes, dx.at(row + i), LE))
            .intoByteBuffer(dx.bytes, dx.at(row + i), LE);
      }
      for (; i < c; i++) {
        float norm = (x.get(row + i) - m) * s;
        float dnorm = g.get(row + i) * w.get(i);
        dx.put(row + i, dx.get(row + i) + (dnorm - dnormMean - norm * dnormNormMean) * s);
      }
    }
    keepAlive(inp, dout, weight, mean, rstd, dinp, dweight, dbias);
  }

  @Override
  public void geluForward(INDArray out, INDArray inp) {
    if (!isFloat(out, inp)) {
      reference.geluForward(out, inp);
      return;
    }
    FloatMemory x = FloatMemory.of(inp);
    FloatMemory y = FloatMemory.of(out);
    long n = inp.length();
    int bound = F.loopBound((int) n);
    INDArray tanh = GELU_SCRATCH.get();
    geluVectors(y, x, FloatMemory.of(tanh), bound);
    keepAlive(tanh);
    for (int i = bound; i < n; i++) {
      float v = x.get(i);
      y.put(i, 0.5f * v * (1 + VectorMath.tanh(GELU_SCALE * (v + GELU_CUBIC * v * v * v))));
    }
    keepAlive(inp, out);
  }

  /**
   * GELU of {@code x[0..bound)} into {@code y} (which may be {@code x}), a block at a time, its
   * tanh terms in {@code t}.
   */
  private static void geluVectors(FloatMemory y, FloatMemory x, FloatMemory t, int bound) {
    for (int block = 0; block < bound; block += GELU_BLOCK) {
      int end = Math.min(bound, block + GELU_BLOCK);
      geluTanhTerms(t, x, block, end);
      for (int i = block; i < end; i += F.length()) {
        FloatVector.fromByteBuffer(F, x.bytes, x.at(i), LE).mul(0.5f)
            .mul(FloatVector.fromByteBuffer(F, t.bytes, t.at(i - block), LE).add(1f))
            .intoByteBuffer(y.bytes, y.at(i), LE);
      }
    }
  }

  /** {@code t[0..end-block) = tanh(√(2/π)(x + 0.044715x³))} over {@code x[block..end)}. */
  private static void geluTanhTerms(FloatMemory t, FloatMemory x, int block, int end) {
    for (int i = block; i < end; i += F.length()) {
      FloatVector v = FloatVector.fromByteBuffer(F, x.bytes, x.at(i), LE);
      v.mul(v).mul(GELU_CUBIC).add(1f).mul(v).mul(GELU_SCALE)
          .intoByteBuffer(t.bytes, t.at(i - block), LE);
    }
    VectorMath.tanhInPlace(t, 0, end - block);
  }

  @Override
  public void geluBackward(INDArray dinp, INDArray dout, INDArray inp) {
    if (!isFloat(dinp, dout, inp)) {
      reference.geluBackward(dinp, dout, inp);
      return;
    }
    // d/dx = 0.5(1 + t) + 0.5x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(√(2/π)(x + 0.044715x³))
    FloatMemory x = FloatMemory.of(inp);
    FloatMemory g = FloatMemory.of(dout);
    FloatMemory d = FloatMemory.of(dinp);
    long n = inp.length();
    int bound = F.loopBound((int) n);
    INDArray tanh = GELU_SCRATCH.get();
    geluBackwardVectors(d, g, x, FloatMemory.of(tanh), bound);
    keepAlive(tanh);
    for (int i = bound; i < n; i++) {
      float v = x.get(i);
      double t = VectorMath.tanh(GELU_SCALE * (v + GELU_CUBIC * v * v * v));
      double local = 0.5 * (1 + t)
          + 0.5 * v * (1 - t * t) * GELU_SCALE * (1 + 3 * GELU_CUBIC * v * v);
      d.put(i, (float) (d.get(i) + local * g.get(i)));
    }
    keepAlive(inp, dout, dinp);
  }

  /** {@code d[0..bound) += gelu'(x)·g}, a block at a time, its tanh terms in {@code t}. */
  private static void geluBackwardVectors(FloatMemory d, FloatMemory g, FloatMemory x,
      FloatMemory t, int bound) {
    for (int block = 0; block < bound; block += GELU_BLOCK) {
      int end = Math.min(bound, block + GELU_BLOCK);
      geluTanhTerms(t, x, block, end);
      for (int i = block; i < end; i += F.length()) {
        FloatVector v = FloatVector.fromByteBuffer(F, x.bytes, x.at(i), LE);
        FloatVector tv = FloatVector.fromByteBuffer(F, t.bytes, t.at(i - block), LE);
        FloatVector sech2 = tv.mul(tv).neg().add(1f);
        FloatVector local = v.mul(v).mul(3 * GELU_CUBIC).add(1f).mul(GELU_SCALE).mul(sech2)
            .mul(v).mul(0.5f).add(tv.add(1f).mul(0.5f));
        local.fma(FloatVector.fromByteBuffer(F, g.bytes, g.at(i), LE),
            FloatVector.fromByteBuffer(F, d.bytes, d.at(i), LE))
            .intoByteBuffer(d.bytes, d.at(i), LE);
      }
    }
  }

  @Override
  public void softmaxForward(INDArray out, INDArray inp) {
    if (!isFloat(out, inp)) {
      reference.softmaxForward(out, inp);
      return;
    }
    int width = (int) inp.size(inp.rank() - 1);
    long rows = inp.length() / width;
    FloatMemory x = FloatMemory.of(inp);
    FloatMemory y = FloatMemory.of(out);
    for (long r = 0; r < rows; r++) {
      softmaxRow(x, y, r * width, width);
    }
    keepAlive(inp, out);
  }

  @Override
  public void softmaxBackward(INDArray dinp, INDArray dout, INDArray out) {
    if (!isFloat(dinp, dout, out)) {
      reference.softmaxBackward(dinp, dout, out);
      return;
    }
    int width = (int) out.size(out.rank() - 1);
    long rows = out.length() / width;
    FloatMemory dx = FloatMemory.of(dinp);
    FloatMemory dy = FloatMemory.of(dout);
    FloatMemory y = FloatMemory.of(out);
    for (long r = 0; r < rows; r++) {
      softmaxBackwardRow(dx, dy, y, r * width, width, true);
    }
    keepAlive(dinp, dout, out);
  }

  @Override
  public void attentionForward(INDArray y, INDArray att, INDArray q, INDArray k, INDArray v,
      INDArray mask) {
    if (!isFloat(y, att, q, k, v, mask)) {
      reference.attentionForward(y, att, q, k, v, mask);
      return;
    }
    Nd4j.exec(new Mmul(q, k, att, 1.0 / Math.sqrt(q.size(3)), 0.0, NT)); // scores
    maskedSoftmax(att, mask);
    Nd4j.exec(new Mmul(att, v, y, 1.0, 0.0, NN));
    keepAlive(att);
  }

  @Override
  public void cachedAttentionForward(INDArray y, INDArray att, INDArray q, INDArray keys,
      INDArray v, INDArray mask) {
    if (!isFloat(y, att, q, keys, v, mask) || !CachedAttention.fits()) {
      reference.cachedAttentionForward(y, att, q, keys, v, mask);
      return;
    }
    FloatMemory probabilities = att == null ? null : FloatMemory.of(att); // null: not wanted
    CachedAttention.forward(FloatMemory.of(y), probabilities, FloatMemory.of(q),
        FloatMemory.of(keys), FloatMemory.of(v), FloatMemory.of(mask),
        (int) (q.size(0) * q.size(1)), (int) q.size(2), (int) q.size(3), (int) v.size(2),
        (int) keys.size(2));
    keepAlive(y, att, q, keys, v, mask);
  }

  /** {@code att (B, NH, T, S) = softmax(att + mask)} in place, row by row. */
  private static void maskedSoftmax(INDArray att, INDArray mask) {
    int s = (int) att.size(3);
    long rows = att.length() / s;
    FloatMemory a = FloatMemory.of(att);
    FloatMemory m = FloatMemory.of(mask);
    int bound = F.loopBound(s);
    for (long r = 0; r < rows; r++) {
      long row = r * s;
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, a.bytes, a.at(row + i), LE)
            .add(FloatVector.fromByteBuffer(F, m.bytes, m.at(row + i), LE))
            .intoByteBuffer(a.bytes, a.at(row + i), LE);
      }
      for (; i < s; i++) {
        a.put(row + i, a.get(row + i) + m.get(row + i));
      }
      softmaxRow(a, a, row, s);
    }
    keepAlive(att, mask);
  }

  @Override
  public void attentionBackward(INDArray dq, INDArray dk, INDArray dv, INDArray dy, INDArray q,
      INDArray k, INDArray v, INDArray att) {
    if (!isFloat(dq, dk, dv, dy, q, k, v, att)) {
      reference.attentionBackward(dq, dk, dv, dy, q, k, v, att);
      return;
    }
    if (dv != null) {
      Nd4j.exec(new Mmul(att, dy, dv, 1.0, 1.0, TN)); // dv += attᵀ · dy
    }
    if (dq == null && dk == null) {
      return;
    }
    INDArray dpreatt = POOL.take(DataType.FLOAT, att.shape()); // (B, NH, T, S)
    Nd4j.exec(new Mmul(dy, v, dpreatt, 1.0, 0.0, NT)); // datt = dy · vᵀ
    // in place: dpreatt = att ⊙ (datt − Σ datt ⊙ att), per row
    int s = (int) att.size(3);
    long rows = att.length() / s;
    FloatMemory d = FloatMemory.of(dpreatt);
    FloatMemory a = FloatMemory.of(att);
    for (long r = 0; r < rows; r++) {
      softmaxBackwardRow(d, d, a, r * s, s, false);
    }
    double scale = 1.0 / Math.sqrt(q.size(3));
    if (dq != null) {
      Nd4j.exec(new Mmul(dpreatt, k, dq, scale, 1.0, NN)); // dq += dpreatt · k / √HS
    }
    if (dk != null) {
      Nd4j.exec(new Mmul(dpreatt, q, dk, scale, 1.0, TN)); // dk += dpreattᵀ · q / √HS
    }
    keepAlive(dpreatt, att);
    NativeArrays.release(dpreatt);
  }

  /**
   * Short sequences of narrow heads go to {@link PackedAttention}; longer ones are split into
   * pooled heads-first buffers with vector copies (ND4J's assign of a permuted view costs far
   * more), run through {@link #attentionForward}, and written back into {@code y}'s columns.
   */
  @Override
  public void packedAttentionForward(INDArray y, INDArray att, INDArray qkv, INDArray mask,
      int heads) {
    if (!isFloat(y, att, qkv, mask)) {
      Kernels.super.packedAttentionForward(y, att, qkv, mask, heads);
      return;
    }
    if (fitsPackedAttention(mask, y.size(1) / heads)) {
      PackedAttention.forward(FloatMemory.of(y), att == null ? null : FloatMemory.of(att),
          FloatMemory.of(qkv), FloatMemory.of(mask), (int) mask.size(0), (int) mask.size(2),
          heads, (int) (y.size(1) / heads));
      keepAlive(y, att, qkv, mask);
      return;
    }
    INDArray probabilities = att != null ? att : POOL.take(DataType.FLOAT, mask.shape());
    long[] shape = headsShape(probabilities, y.size(1), heads);
    INDArray q = POOL.take(DataType.FLOAT, shape);
    INDArray k = POOL.take(DataType.FLOAT, shape);
    INDArray v = POOL.take(DataType.FLOAT, shape);
    INDArray out = POOL.take(DataType.FLOAT, shape);
    moveHeads(qkv, 0, q, false, false);
    moveHeads(qkv, 1, k, false, false);
    moveHeads(qkv, 2, v, false, false);
    attentionForward(out, probabilities, q, k, v, mask);
    moveHeads(y, 0, out, true, false);
    keepAlive(y, qkv);
    NativeArrays.release(q, k, v, out, probabilities == att ? null : probabilities);
  }

  @Override
  public boolean recomputesAttentionCheaply(int t, int hs) {
    return PackedAttention.fits(t, hs);
  }

  /**
   * Backward of {@link #packedAttentionForward}, through pooled buffers too; probabilities
   * computed again come from the same product and softmax as the forward's, bit for bit (in
   * {@link PackedAttention}'s scratch, one head at a time, where it takes the shape).
   */
  @Override
  public void packedAttentionBackward(INDArray dqkv, INDArray dy, INDArray qkv, INDArray kept,
      INDArray mask, int heads) {
    if (!isFloat(dqkv, dy, qkv) || !isFloat(kept != null ? kept : mask)) {
      Kernels.super.packedAttentionBackward(dqkv, dy, qkv, kept, mask, heads);
      return;
    }
    INDArray shaped = kept != null ? kept : mask;
    if (fitsPackedAttention(shaped, dy.size(1) / heads)) {
      PackedAttention.backward(FloatMemory.of(dqkv), FloatMemory.of(dy), FloatMemory.of(qkv),
          kept == null ? null : FloatMemory.of(kept), mask == null ? null : FloatMemory.of(mask),
          (int) shaped.size(0), (int) shaped.size(2), heads, (int) (dy.size(1) / heads));
      keepAlive(dqkv, dy, qkv, kept, mask);
      return;
    }
    INDArray att = kept != null ? kept : POOL.take(DataType.FLOAT, mask.shape());
    long[] shape = headsShape(att, dy.size(1), heads);
    INDArray[] in = new INDArray[3];
    INDArray[] grads = new INDArray[3];
    for (int which = 0; which < 3; which++) {
      in[which] = POOL.take(DataType.FLOAT, shape);
      moveHeads(qkv, which, in[which], false, false);
      grads[which] = POOL.zeros(DataType.FLOAT, shape);
    }
    if (kept == null) { // computed again as the forward did
      Nd4j.exec(new Mmul(in[0], in[1], att, 1.0 / Math.sqrt(shape[3]), 0.0, NT));
      maskedSoftmax(att, mask);
    }
    INDArray dyHeads = POOL.take(DataType.FLOAT, shape);
    moveHeads(dy, 0, dyHeads, false, false);
    attentionBackward(grads[0], grads[1], grads[2], dyHeads, in[0], in[1], in[2], att);
    for (int which = 0; which < 3; which++) {
      moveHeads(dqkv, which, grads[which], true, true);
    }
    keepAlive(dqkv, dy, qkv);
    NativeArrays.release(in[0], in[1], in[2], grads[0], grads[1], grads[2], dyHeads,
        kept == null ? att : null);
  }

  @Override
  public void cacheHeads(INDArray q, INDArray keys, INDArray v, INDArray qkv, int start) {
    if (!isFloat(q, keys, v, qkv)) {
      reference.cacheHeads(q, keys, v, qkv, start);
      return;
    }
    int t = (int) q.size(2);
    if (start < 0 || start + t > v.size(2) || v.size(0) != q.size(0) || keys.size(0) != v.size(0)
        || keys.size(4) != KEY_BLOCK || keys.size(2) * KEY_BLOCK < v.size(2)) {
      throw new IllegalArgumentException("cache of " + v.size(2) + " positions and " + v.size(0)
          + " rows cannot take " + t + " positions of " + q.size(0) + " rows at " + start);
    }
    moveHeads(qkv, 0, q, t, 0, false, false);
    keysIntoBlocks(qkv, keys, t, start);
    moveHeads(qkv, 2, v, t, start, false, false);
  }

  @Override
  public void copySlice(INDArray a, int from, int to) {
    // one block copy: ND4J's slice views and assign cost more than the copy (JFR, decoding)
    if (!isFloat(a) || a.isView() || a.ordering() != 'c') {
      Kernels.super.copySlice(a, from, to);
      return;
    }
    Objects.checkIndex(from, a.size(0));
    Objects.checkIndex(to, a.size(0));
    long n = a.length() / a.size(0);
    FloatMemory.of(a).copy((long) from * n, (long) to * n, n);
    keepAlive(a);
  }

  /** The keys of packed {@code qkv (B·T, 3C)} into the key cache's positions start..start+T. */
  private static void keysIntoBlocks(INDArray qkv, INDArray keys, int t, int start) {
    int b = (int) keys.size(0);
    int nh = (int) keys.size(1);
    long blocks = keys.size(2);
    int hs = (int) keys.size(3);
    long width = qkv.size(1);
    FloatMemory r = FloatMemory.of(qkv);
    FloatMemory k = FloatMemory.of(keys);
    for (int row = 0; row < b; row++) {
      for (int i = 0; i < t; i++) {
        long packed = (long) (row * t + i) * width + (long) nh * hs; // the keys' third
        int p = start + i;
        for (int head = 0; head < nh; head++) {
          long at = (((long) row * nh + head) * blocks + p / KEY_BLOCK) * hs * KEY_BLOCK
              + p % KEY_BLOCK;
          for (int d = 0; d < hs; d++) {
            k.put(at + (long) d * KEY_BLOCK, r.get(packed + (long) head * hs + d));
          }
        }
      }
    }
    keepAlive(qkv, keys);
  }

  /** Whether {@link PackedAttention} takes an attention shaped as {@code att} (or its mask). */
  private static boolean fitsPackedAttention(INDArray att, long hs) {
    return att.size(2) == att.size(3) && PackedAttention.fits(att.size(2), hs);
  }

  /** {@code (B, NH, T, HS)} for an attention of {@code att (B, NH, T, S)} over C-wide rows. */
  private static long[] headsShape(INDArray att, long c, int heads) {
    return new long[] {att.size(0), heads, att.size(2), c / heads};
  }

  /**
   * Copies between part {@code which} of packed rows {@code (B·T, k·C)} (k = rows' width / C) and
   * positions {@code start .. start+T} of heads-first {@code (B, NH, S, HS)}: into the heads, or,
   * when {@code toRows}, back into the rows, adding when {@code add}.
   */
  private static void moveHeads(INDArray rows, int which, INDArray headsFirst, int t, int start,
      boolean toRows, boolean add) {
    int b = (int) headsFirst.size(0);
    int nh = (int) headsFirst.size(1);
    long s = headsFirst.size(2);
    int hs = (int) headsFirst.size(3);
    long width = rows.size(1);
    FloatMemory r = FloatMemory.of(rows);
    FloatMemory h = FloatMemory.of(headsFirst);
    for (int row = 0; row < b; row++) {
      for (int head = 0; head < nh; head++) {
        for (int i = 0; i < t; i++) {
          long packed = (long) (row * t + i) * width + (long) which * nh * hs + (long) head * hs;
          long split = (((long) row * nh + head) * s + start + i) * hs;
          if (!toRows) {
            copy(h, split, r, packed, hs, false);
          } else {
            copy(r, packed, h, split, hs, add);
          }
        }
      }
    }
    keepAlive(rows, headsFirst);
  }

  /** {@link #moveHeads} over all of {@code headsFirst}'s positions. */
  private static void moveHeads(INDArray rows, int which, INDArray headsFirst, boolean toRows,
      boolean add) {
    moveHeads(rows, which, headsFirst, (int) headsFirst.size(2), 0, toRows, add);
  }

  /** {@code dst[dt..dt+n) (+)= src[st..st+n)}. */
  private static void copy(FloatMemory dst, long dt, FloatMemory src, long st, int n,
      boolean add) {
    int bound = F.loopBound(n);
    int i = 0;
    // one loop per case: a vector assigned in only one branch is merged, and C2 boxes it
    if (add) {
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, src.bytes, src.at(st + i), LE)
            .add(FloatVector.fromByteBuffer(F, dst.bytes, dst.at(dt + i), LE))
            .intoByteBuffer(dst.bytes, dst.at(dt + i), LE);
      }
    } else {
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, src.bytes, src.at(st + i), LE)
            .intoByteBuffer(dst.bytes, dst.at(dt + i), LE);
      }
    }
    for (; i < n; i++) {
      dst.put(dt + i, add ? dst.get(dt + i) + src.get(st + i) : src.get(st + i));
    }
  }

  /**
   * Why: an ND4J op's fixed cost (a few microseconds) was most of a decode step's residual add,
   * three per layer and step; IEEE addition gives the same bits either way.
   */
  @Override
  public void addInPlace(INDArray out, INDArray x) {
    if (!isFloat(out, x) || !out.equalShapes(x) || !DirectMemory.isDenseC(out)
        || !DirectMemory.isDenseC(x)) {
      reference.addInPlace(out, x);
      return;
    }
    FloatMemory o = FloatMemory.of(out);
    FloatMemory a = FloatMemory.of(x);
    long n = out.length();
    long bound = n - n % F.length();
    long i = 0;
    for (; i < bound; i += F.length()) {
      FloatVector.fromByteBuffer(F, a.bytes, a.at(i), LE)
          .add(FloatVector.fromByteBuffer(F, o.bytes, o.at(i), LE))
          .intoByteBuffer(o.bytes, o.at(i), LE);
    }
    for (; i < n; i++) {
      o.put(i, o.get(i) + a.get(i));
    }
    keepAlive(out, x);
  }

  @Override
  public void embeddingForward(INDArray out, INDArray table, int[] rows) {
    if (!isFloat(out, table)) {
      reference.embeddingForward(out, table, rows);
      return;
    }
    FloatMemory src = FloatMemory.of(table);
    FloatMemory dst = FloatMemory.of(out);
    int c = (int) table.size(1);
    int bound = F.loopBound(c);
    for (int n = 0; n < rows.length; n++) {
      long s = (long) rows[n] * c;
      long d = (long) n * c;
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, src.bytes, src.at(s + i), LE)
            .intoByteBuffer(dst.bytes, dst.at(d + i), LE);
      }
      for (; i < c; i++) {
        dst.put(d + i, src.get(s + i));
      }
    }
    keepAlive(table, out);
  }

  @Override
  public void embeddingBackward(INDArray dtable, INDArray dout, int[] rows) {
    if (!isFloat(dtable, dout)) {
      reference.embeddingBackward(dtable, dout, rows);
      return;
    }
    FloatMemory src = FloatMemory.of(dout);
    FloatMemory dst = FloatMemory.of(dtable);
    int c = (int) dtable.size(1);
    int bound = F.loopBound(c);
    for (int n = 0; n < rows.length; n++) {
      long s = (long) n * c;
      long d = (long) rows[n] * c;
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, dst.bytes, dst.at(d + i), LE)
            .add(FloatVector.fromByteBuffer(F, src.bytes, src.at(s + i), LE))
            .intoByteBuffer(dst.bytes, dst.at(d + i), LE);
      }
      for (; i < c; i++) {
        dst.put(d + i, dst.get(d + i) + src.get(s + i));
      }
    }
    keepAlive(dout, dtable);
  }

  @Override
  public void crossEntropyForward(INDArray losses, INDArray probs, INDArray logits,
      int[] targets) {
    if (!isFloat(losses, probs, logits)) {
      reference.crossEntropyForward(losses, probs, logits, targets);
      return;
    }
    softmaxForward(probs, logits);
    FloatMemory p = FloatMemory.of(probs);
    FloatMemory l = FloatMemory.of(losses);
    long v = probs.size(1);
    for (int n = 0; n < targets.length; n++) {
      l.put(n, targets[n] < 0 ? 0f : (float) -Math.log(p.get(n * v + targets[n])));
    }
    keepAlive(probs, losses);
  }

  @Override
  public void crossEntropyBackward(INDArray dlogits, INDArray dlosses, INDArray probs,
      int[] targets) {
    if (!isFloat(dlogits, dlosses, probs)) {
      reference.crossEntropyBackward(dlogits, dlosses, probs, targets);
      return;
    }
    FloatMemory d = FloatMemory.of(dlogits);
    FloatMemory dl = FloatMemory.of(dlosses);
    FloatMemory p = FloatMemory.of(probs);
    int v = (int) probs.size(1);
    int bound = F.loopBound(v);
    for (int n = 0; n < targets.length; n++) {
      if (targets[n] < 0) {
        continue; // no loss, no gradient
      }
      float scale = dl.get(n);
      FloatVector scaleV = FloatVector.broadcast(F, scale);
      long row = (long) n * v;
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, p.bytes, p.at(row + i), LE)
            .fma(scaleV, FloatVector.fromByteBuffer(F, d.bytes, d.at(row + i), LE))
            .intoByteBuffer(d.bytes, d.at(row + i), LE);
      }
      for (; i < v; i++) {
        d.put(row + i, d.get(row + i) + scale * p.get(row + i));
      }
      d.put(row + targets[n], d.get(row + targets[n]) - scale);
    }
    keepAlive(dlogits, dlosses, probs);
  }

  @Override
  public void crossEntropyBackwardInPlace(INDArray probs, INDArray dlosses, int[] targets) {
    if (!isFloat(probs, dlosses)) {
      Kernels.super.crossEntropyBackwardInPlace(probs, dlosses, targets);
      return;
    }
    FloatMemory p = FloatMemory.of(probs);
    FloatMemory dl = FloatMemory.of(dlosses);
    int v = (int) probs.size(1);
    int bound = F.loopBound(v);
    for (int n = 0; n < targets.length; n++) {
      long row = (long) n * v;
      float scale = targets[n] < 0 ? 0f : dl.get(n);
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, p.bytes, p.at(row + i), LE).mul(scale)
            .intoByteBuffer(p.bytes, p.at(row + i), LE);
      }
      for (; i < v; i++) {
        p.put(row + i, p.get(row + i) * scale);
      }
      if (targets[n] >= 0) {
        p.put(row + targets[n], p.get(row + targets[n]) - scale);
      }
    }
    keepAlive(probs, dlosses);
  }

  @Override
  public void adamwUpdate(INDArray params, INDArray grads, INDArray m, INDArray v,
      long[] decayed, long step, double lr, double beta1, double beta2, double eps,
      double weightDecay) {
    if (!isFloat(params, grads, m, v)) {
      reference.adamwUpdate(params, grads, m, v, decayed, step, lr, beta1, beta2, eps,
          weightDecay);
      return;
    }
    AdamwStep s = new AdamwStep(FloatMemory.of(params), FloatMemory.of(grads), FloatMemory.of(m),
        FloatMemory.of(v), (float) beta1, (float) beta2,
        (float) (1.0 / (1 - Math.pow(beta1, step))), (float) (1.0 / (1 - Math.pow(beta2, step))),
        (float) lr, (float) eps);
    long from = 0;
    for (int r = 0; r < decayed.length; r += 2) {
      adamwRange(s, from, decayed[r], 0f);
      adamwRange(s, decayed[r], decayed[r + 1], (float) weightDecay);
      from = decayed[r + 1];
    }
    adamwRange(s, from, params.length(), 0f);
    keepAlive(params, grads, m, v);
  }

  /** One AdamW step's memory and constants. */
  private record AdamwStep(FloatMemory p, FloatMemory g, FloatMemory m, FloatMemory v, float b1,
      float b2, float mScale, float vScale, float lr, float eps) {}

  /** The AdamW step on elements {@code [from, to)} with weight decay {@code decay} (maybe 0). */
  private static void adamwRange(AdamwStep s, long from, long to, float decay) {
    FloatMemory p = s.p();
    FloatMemory g = s.g();
    FloatMemory mm = s.m();
    FloatMemory vv = s.v();
    float b1 = s.b1();
    float b2 = s.b2();
    long bound = from + F.loopBound((int) (to - from));
    long i = from;
    for (; i < bound; i += F.length()) {
      FloatVector gi = FloatVector.fromByteBuffer(F, g.bytes, g.at(i), LE);
      FloatVector mi = FloatVector.fromByteBuffer(F, mm.bytes, mm.at(i), LE).mul(b1)
          .add(gi.mul(1 - b1));
      FloatVector vi = FloatVector.fromByteBuffer(F, vv.bytes, vv.at(i), LE).mul(b2)
          .add(gi.mul(gi).mul(1 - b2));
      mi.intoByteBuffer(mm.bytes, mm.at(i), LE);
      vi.intoByteBuffer(vv.bytes, vv.at(i), LE);
      FloatVector pi = FloatVector.fromByteBuffer(F, p.bytes, p.at(i), LE);
      FloatVector update = mi.mul(s.mScale()).div(vi.mul(s.vScale()).sqrt().add(s.eps()))
          .add(pi.mul(decay));
      pi.sub(update.mul(s.lr())).intoByteBuffer(p.bytes, p.at(i), LE);
    }
    for (; i < to; i++) {
      float gi = g.get(i);
      float mi = mm.get(i) * b1 + (1 - b1) * gi;
      float vi = vv.get(i) * b2 + gi * gi * (1 - b2); // the lanes' order: a range's tail equals them
      mm.put(i, mi);
      vv.put(i, vi);
      float pi = p.get(i);
      float update = mi * s.mScale() / ((float) Math.sqrt(vi * s.vScale()) + s.eps())
          + decay * pi;
      p.put(i, pi - s.lr() * update);
    }
  }

  /** {@code out[row..row+width) = softmax(in[row..row+width))}; in place when in == out. */
  static void softmaxRow(FloatMemory in, FloatMemory out, long row, int width) {
    int bound = F.loopBound(width);
    FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (; i < bound; i += F.length()) {
      maxV = FloatVector.fromByteBuffer(F, in.bytes, in.at(row + i), LE).max(maxV);
    }
    float max = VectorMath.exact(maxV).reduceLanes(VectorOperators.MAX);
    for (; i < width; i++) {
      max = Math.max(max, in.get(row + i));
    }
    float sum = VectorMath.expShifted(in, out, row, bound, max);
    for (i = bound; i < width; i++) {
      float e = VectorMath.exp(in.get(row + i) - max);
      sum += e;
      out.put(row + i, e);
    }
    float inv = 1f / sum;
    i = 0;
    for (; i < bound; i += F.length()) {
      FloatVector.fromByteBuffer(F, out.bytes, out.at(row + i), LE).mul(inv)
          .intoByteBuffer(out.bytes, out.at(row + i), LE);
    }
    for (; i < width; i++) {
      out.put(row + i, out.get(row + i) * inv);
    }
  }

  /** {@code Σ a[at + i] · b[bt + i]} over {@code i < n}. */
  private static float dot(FloatMemory a, long at, FloatMemory b, long bt, int n) {
    int bound = F.loopBound(n);
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (; i < bound; i += F.length()) {
      acc = FloatVector.fromByteBuffer(F, a.bytes, a.at(at + i), LE)
          .fma(FloatVector.fromByteBuffer(F, b.bytes, b.at(bt + i), LE), acc);
    }
    float dot = VectorMath.sum(acc);
    for (; i < n; i++) {
      dot += a.get(at + i) * b.get(bt + i);
    }
    return dot;
  }

  /**
   * {@code dx[row..row+width) (+)= y ⊙ (dy − Σ dy ⊙ y)}: adds when {@code accumulate}, else
   * overwrites; {@code dx} may be {@code dy}.
   */
  private static void softmaxBackwardRow(FloatMemory dx, FloatMemory dy, FloatMemory y, long row,
      int width, boolean accumulate) {
    int bound = F.loopBound(width);
    float dot = dot(dy, row, y, row, width);
    int i = 0;
    for (; i < bound; i += F.length()) {
      FloatVector g = FloatVector.fromByteBuffer(F, dy.bytes, dy.at(row + i), LE).sub(dot)
          .mul(FloatVector.fromByteBuffer(F, y.bytes, y.at(row + i), LE));
      // two stores, not a conditional add: a vector merged from two branches is boxed
      if (accumulate) {
        g.add(FloatVector.fromByteBuffer(F, dx.bytes, dx.at(row + i), LE))
            .intoByteBuffer(dx.bytes, dx.at(row + i), LE);
      } else {
        g.intoByteBuffer(dx.bytes, dx.at(row + i), LE);
      }
    }
    for (; i < width; i++) {
      float g = (dy.get(row + i) - dot) * y.get(row + i);
      dx.put(row + i, accumulate ? dx.get(row + i) + g : g);
    }
  }

  /**
   * {@code bias (OC) += Σ_n dout[n]} over the rows of {@code dout (N, OC)}, four vectors of columns
   * at a time so each row's loads are contiguous and the sums stay in registers.
   */
  private static void addColumnSums(INDArray bias, INDArray dout) {
    int oc = (int) bias.length();
    long n = dout.length() / oc;
    FloatMemory d = FloatMemory.of(dout);
    FloatMemory b = FloatMemory.of(bias);
    int lanes = F.length();
    int i = 0;
    for (; i + 4 * lanes <= oc; i += 4 * lanes) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (long r = 0; r < n; r++) {
        long at = r * oc + i;
        a0 = FloatVector.fromByteBuffer(F, d.bytes, d.at(at), LE).add(a0);
        a1 = FloatVector.fromByteBuffer(F, d.bytes, d.at(at + lanes), LE).add(a1);
        a2 = FloatVector.fromByteBuffer(F, d.bytes, d.at(at + 2 * lanes), LE).add(a2);
        a3 = FloatVector.fromByteBuffer(F, d.bytes, d.at(at + 3 * lanes), LE).add(a3);
      }
      FloatVector.fromByteBuffer(F, b.bytes, b.at(i), LE).add(a0)
          .intoByteBuffer(b.bytes, b.at(i), LE);
      FloatVector.fromByteBuffer(F, b.bytes, b.at(i + lanes), LE).add(a1)
          .intoByteBuffer(b.bytes, b.at(i + lanes), LE);
      FloatVector.fromByteBuffer(F, b.bytes, b.at(i + 2 * lanes), LE).add(a2)
          .intoByteBuffer(b.bytes, b.at(i + 2 * lanes), LE);
      FloatVector.fromByteBuffer(F, b.bytes, b.at(i + 3 * lanes), LE).add(a3)
          .intoByteBuffer(b.bytes, b.at(i + 3 * lanes), LE);
    }
    for (; i + lanes <= oc; i += lanes) {
      FloatVector acc = FloatVector.zero(F);
      for (long r = 0; r < n; r++) {
        acc = FloatVector.fromByteBuffer(F, d.bytes, d.at(r * oc + i), LE).add(acc);
      }
      FloatVector.fromByteBuffer(F, b.bytes, b.at(i), LE).add(acc)
          .intoByteBuffer(b.bytes, b.at(i), LE);
    }
    for (; i < oc; i++) {
      float acc = 0f;
      for (long r = 0; r < n; r++) {
        acc += d.get(r * oc + i);
      }
      b.put(i, b.get(i) + acc);
    }
    keepAlive(dout, bias);
  }

  // A FloatMemory's ByteBuffer does not keep its array alive: without a use at the end of each
  // kernel, the JIT may end a caller's last reference mid-loop and the GC free the memory read.
  private static void keepAlive(INDArray... arrays) {
    Reference.reachabilityFence(arrays);
  }

  private static float sum(FloatMemory x, long row, int c) {
    int bound = F.loopBound(c);
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (; i < bound; i += F.length()) {
      acc = FloatVector.fromByteBuffer(F, x.bytes, x.at(row + i), LE).add(acc);
    }
    float s = VectorMath.sum(acc);
    for (; i < c; i++) {
      s += x.get(row + i);
    }
    return s;
  }

  /** {@code out (N, C) += bias (C)} on every row. */
  private static void addRowVector(INDArray out, INDArray bias) {
    int c = (int) bias.length();
    long n = out.length() / c;
    FloatMemory o = FloatMemory.of(out);
    FloatMemory b = FloatMemory.of(bias);
    int bound = F.loopBound(c);
    for (long r = 0; r < n; r++) {
      long row = r * c;
      int i = 0;
      for (; i < bound; i += F.length()) {
        FloatVector.fromByteBuffer(F, o.bytes, o.at(row + i), LE)
            .add(FloatVector.fromByteBuffer(F, b.bytes, b.at(i), LE))
            .intoByteBuffer(o.bytes, o.at(row + i), LE);
      }
      for (; i < c; i++) {
        o.put(row + i, o.get(row + i) + b.get(i));
      }
    }
    keepAlive(out, bias);
  }
}
