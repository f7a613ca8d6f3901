package org.rlhf4j.model.kernels;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The portable reference implementation of {@link Kernels} on ND4J ops; runs on any ND4J backend
 * (CPU here, CUDA under {@code -Pcuda}) and in float or double.
 *
 * <p>Products go through the {@code Mmul} custom op, not {@code INDArray.mmul}: on the oneDNN
 * build only the op reaches oneDNN (230-260 GFLOP/s on one thread here, against 45-90 for the
 * OpenBLAS path {@code mmul} takes).
 */
public final class Nd4jKernels implements Kernels {
  private static final double GELU_SCALE = Math.sqrt(2.0 / Math.PI);
  private static final double GELU_CUBIC = 0.044715;
  private static final MMulTranspose NN = new MMulTranspose(false, false, false);
  private static final MMulTranspose NT = new MMulTranspose(false, true, false);
  private static final MMulTranspose TN = new MMulTranspose(true, false, false);

  @Override
  public void matmulForward(INDArray out, INDArray inp, INDArray weight, INDArray bias) {
    gemm(out, inp, weight, NN, 0.0);
    if (bias != null) {
      out.addiRowVector(bias);
    }
  }

  @Override
  public void matmulBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight) {
    if (dinp != null) {
      gemm(dinp, dout, weight, NT, 1.0);
    }
    if (dweight != null) {
      gemm(dweight, inp, dout, TN, 1.0);
    }
    if (dbias != null) {
      dbias.addi(dout.sum(0));
    }
  }

  @Override
  public void matmulTransposedForward(INDArray out, INDArray inp, INDArray weight) {
    gemm(out, inp, weight, NT, 0.0);
  }

  @Override
  public void matmulTransposedBackward(INDArray dinp, INDArray dweight, INDArray dout,
      INDArray inp, INDArray weight) {
    if (dinp != null) {
      gemm(dinp, dout, weight, NN, 1.0);
    }
    if (dweight != null) {
      gemm(dweight, dout, inp, TN, 1.0);
    }
  }

  @Override
  public void layerNormForward(INDArray out, INDArray mean, INDArray rstd, INDArray inp,
      INDArray weight, INDArray bias, double eps) {
    mean.assign(inp.mean(1));
    INDArray centered = inp.subColumnVector(col(mean)); // (N, C)
    rstd.assign(Transforms.pow(centered.mul(centered).mean(1).addi(eps), -0.5, false));
    out.assign(centered.muliColumnVector(col(rstd)).muliRowVector(weight).addiRowVector(bias));
  }

  @Override
  public void layerNormBackward(INDArray dinp, INDArray dweight, INDArray dbias, INDArray dout,
      INDArray inp, INDArray weight, INDArray mean, INDArray rstd) {
    INDArray norm = inp.subColumnVector(col(mean)).muliColumnVector(col(rstd)); // (N, C)
    if (dbias != null) {
      dbias.addi(dout.sum(0));
    }
    if (dweight != null) {
      dweight.addi(norm.mul(dout).sum(0));
    }
    if (dinp != null) {
      INDArray dnorm = dout.mulRowVector(weight); // (N, C)
      INDArray dnormMean = dnorm.mean(1); // (N)
      INDArray dnormNormMean = dnorm.mul(norm).mean(1); // (N)
      dinp.addi(dnorm.subiColumnVector(col(dnormMean))
          .subi(norm.muliColumnVector(col(dnormNormMean))).muliColumnVector(col(rstd)));
    }
  }

  @Override
  public void geluForward(INDArray out, INDArray inp) {
    INDArray inner = inp.mul(inp).muli(GELU_CUBIC).addi(1.0).muli(inp).muli(GELU_SCALE);
    out.assign(Transforms.tanh(inner, false).addi(1.0).muli(inp).muli(0.5));
  }

  @Override
  public void geluBackward(INDArray dinp, INDArray dout, INDArray inp) {
    INDArray x2 = inp.mul(inp);
    INDArray t = Transforms.tanh(x2.mul(GELU_CUBIC).addi(1.0).muli(inp).muli(GELU_SCALE), false);
    // d/dx = 0.5(1 + t) + 0.5x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
    INDArray sech2 = t.mul(t).rsubi(1.0);
    INDArray local = x2.muli(3 * GELU_CUBIC).addi(1.0).muli(GELU_SCALE).muli(sech2).muli(inp)
        .muli(0.5).addi(t.addi(1.0).muli(0.5));
    dinp.addi(local.muli(dout));
  }

  @Override
  public void softmaxForward(INDArray out, INDArray inp) {
    Nd4j.exec(new SoftMax(inp, out, inp.rank() - 1));
  }

  @Override
  public void softmaxBackward(INDArray dinp, INDArray dout, INDArray out) {
    int last = out.rank() - 1;
    INDArray dot = dout.mul(out).sum(true, last);
    dinp.addi(dout.sub(dot.broadcast(dout.shape())).muli(out));
  }

  @Override
  public void attentionForward(INDArray y, INDArray att, INDArray q, INDArray k, INDArray v,
      INDArray mask) {
    double scale = 1.0 / Math.sqrt(q.size(3));
    INDArray preatt = att.ulike(); // (B, NH, T, S)
    Nd4j.exec(new Mmul(q, k, preatt, scale, 0.0, NT));
    preatt.addi(mask);
    softmaxForward(att, preatt);
    gemm(y, att, v, NN, 0.0);
  }

  @Override
  public void attentionBackward(INDArray dq, INDArray dk, INDArray dv, INDArray dy, INDArray q,
      INDArray k, INDArray v, INDArray att) {
    double scale = 1.0 / Math.sqrt(q.size(3));
    INDArray datt = att.ulike(); // (B, NH, T, S)
    gemm(datt, dy, v, NT, 0.0);
    gemm(dv, att, dy, TN, 1.0);
    INDArray dpreatt = att.ulike().assign(0.0); // (B, NH, T, S)
    softmaxBackward(dpreatt, datt, att);
    Nd4j.exec(new Mmul(dpreatt, k, dq, scale, 1.0, NN));
    Nd4j.exec(new Mmul(dpreatt, q, dk, scale, 1.0, TN));
  }

  @Override
  public void embeddingForward(INDArray out, INDArray table, int[] rows) {
    DataBuffer src = DirectMemory.buffer(table);
    DataBuffer dst = DirectMemory.buffer(out);
    long srcBase = DirectMemory.offset(table);
    long dstBase = DirectMemory.offset(out);
    int c = (int) table.size(1);
    for (int n = 0; n < rows.length; n++) {
      long s = srcBase + (long) rows[n] * c;
      long d = dstBase + (long) n * c;
      for (int i = 0; i < c; i++) {
        dst.put(d + i, src.getDouble(s + i));
      }
    }
  }

  @Override
  public void embeddingBackward(INDArray dtable, INDArray dout, int[] rows) {
    DataBuffer src = DirectMemory.buffer(dout);
    DataBuffer dst = DirectMemory.buffer(dtable);
    long srcBase = DirectMemory.offset(dout);
    long dstBase = DirectMemory.offset(dtable);
    int c = (int) dtable.size(1);
    for (int n = 0; n < rows.length; n++) {
      long s = srcBase + (long) n * c;
      long d = dstBase + (long) rows[n] * c;
      for (int i = 0; i < c; i++) {
        dst.put(d + i, dst.getDouble(d + i) + src.getDouble(s + i));
      }
    }
  }

  @Override
  public void crossEntropyForward(INDArray losses, INDArray probs, INDArray logits,
      int[] targets) {
    softmaxForward(probs, logits);
    DataBuffer p = DirectMemory.buffer(probs);
    long base = DirectMemory.offset(probs);
    long v = probs.size(1);
    for (int n = 0; n < targets.length; n++) {
      double loss = targets[n] < 0 ? 0.0 : -Math.log(p.getDouble(base + n * v + targets[n]));
      losses.putScalar(n, loss);
    }
  }

  @Override
  public void crossEntropyBackward(INDArray dlogits, INDArray dlosses, INDArray probs,
      int[] targets) {
    INDArray masked = dlosses.dup();
    for (int n = 0; n < targets.length; n++) {
      if (targets[n] < 0) {
        masked.putScalar(n, 0.0);
      }
    }
    dlogits.addi(probs.mulColumnVector(col(masked)));
    for (int n = 0; n < targets.length; n++) {
      if (targets[n] >= 0) {
        dlogits.putScalar(n, targets[n], dlogits.getDouble(n, targets[n]) - masked.getDouble(n));
      }
    }
  }

  @Override
  public void adamwUpdate(INDArray params, INDArray grads, INDArray m, INDArray v,
      long[] decayed, long step, double lr, double beta1, double beta2, double eps,
      double weightDecay) {
    m.muli(beta1).addi(grads.mul(1 - beta1));
    v.muli(beta2).addi(grads.mul(grads).muli(1 - beta2));
    double mCorrection = 1 - Math.pow(beta1, step);
    double vCorrection = 1 - Math.pow(beta2, step);
    INDArray denominator = Transforms.sqrt(v.div(vCorrection), false).addi(eps);
    INDArray update = m.div(mCorrection).divi(denominator);
    if (weightDecay != 0) {
      for (int r = 0; r < decayed.length; r += 2) {
        INDArrayIndex range = NDArrayIndex.interval(decayed[r], decayed[r + 1]);
        update.get(range).addi(params.get(range).mul(weightDecay));
      }
    }
    params.subi(update.muli(lr));
  }

  /** A vector as an (n, 1) column, for the column-broadcast ops. */
  private static INDArray col(INDArray vector) {
    return vector.reshape(vector.length(), 1);
  }

  /** {@code out = op(a)·op(b) + beta·out} through the Mmul custom op. */
  private static void gemm(INDArray out, INDArray a, INDArray b, MMulTranspose t, double beta) {
    Nd4j.exec(new Mmul(a, b, out, 1.0, beta, t));
  }
}
