package org.rlhf4j.model;

import java.util.EnumSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What RL and preference objectives need from a policy over a batch, with the backward: per row,
 * {@code logp = log softmax(logits / T)[target]}, optionally the entropy of that distribution and
 * the value head's output. Objectives return gradients with respect to these numbers; this class
 * carries them into the parameters. {@link #close} frees its native memory once done.
 */
public final class PolicyEvaluation implements AutoCloseable {
  private final Gpt gpt;
  private final ParameterStore params;
  private final ForwardPass pass;
  private final INDArray probs; // (M, V) softmax(logits / T) on the rows with a target, or null
  private final TargetRows rows; // or null for a values-only evaluation
  private final double temperature;
  private final double[] logprobs;
  private final double[] entropies; // or null
  private final double[] values; // or null

  private PolicyEvaluation(Gpt gpt, ParameterStore params, ForwardPass pass, INDArray probs,
      TargetRows rows, double temperature, double[] logprobs, double[] entropies,
      double[] values) {
    this.gpt = gpt;
    this.params = params;
    this.pass = pass;
    this.probs = probs;
    this.rows = rows;
    this.temperature = temperature;
    this.logprobs = logprobs;
    this.entropies = entropies;
    this.values = values;
  }

  /**
   * Evaluates {@code batch}; {@code targets (N)} holds each row's next token or −1 (its log-prob
   * and entropy are then 0 and it gets no gradient through them). Logits are computed on the rows
   * with a target only.
   */
  public static PolicyEvaluation of(Gpt gpt, ParameterStore params, TokenBatch batch,
      int[] targets, double temperature, boolean withEntropy, boolean withValues) {
    TargetRows rows = TargetRows.of(targets);
    EnumSet<Output> outputs = EnumSet.noneOf(Output.class);
    if (rows.count() > 0) {
      outputs.add(Output.LOGITS);
    }
    if (withValues) {
      outputs.add(Output.VALUES);
    }
    ForwardPass pass = gpt.forward(params, batch, outputs, rows.rows());
    double[] values = withValues ? pass.values().castTo(DataType.DOUBLE).toDoubleVector() : null;
    if (rows.count() == 0) {
      double[] zeros = new double[targets.length];
      return new PolicyEvaluation(gpt, params, pass, null, rows, temperature, zeros,
          withEntropy ? zeros.clone() : null, values);
    }
    INDArray scaled = pass.logits().div(temperature); // (M, V)
    INDArray probs = scaled.ulike();
    INDArray losses = Nd4j.create(scaled.dataType(), rows.count()); // (M)
    gpt.kernels().crossEntropyForward(losses, probs, scaled, rows.targets());
    double[] logprobs = losses.castTo(DataType.DOUBLE).toDoubleVector();
    NativeArrays.release(scaled, losses);
    for (int i = 0; i < logprobs.length; i++) {
      logprobs[i] = -logprobs[i];
    }
    double[] entropies = null;
    if (withEntropy) {
      // H = −Σ p log p, with 0·log 0 = 0
      INDArray logp = Transforms.log(probs.add(Float.MIN_NORMAL), false); // (M, V)
      INDArray plogp = probs.mul(logp); // (M, V)
      entropies = rows.spread(plogp.sum(1).negi().castTo(DataType.DOUBLE).toDoubleVector());
      NativeArrays.release(logp, plogp);
    }
    return new PolicyEvaluation(gpt, params, pass, probs, rows, temperature,
        rows.spread(logprobs), entropies, values);
  }

  /** {@link #of}'s log-probs {@code (N)} alone, the evaluation freed at once. */
  public static double[] logprobsOf(Gpt gpt, ParameterStore params, TokenBatch batch,
      int[] targets, double temperature) {
    try (PolicyEvaluation e = of(gpt, params, batch, targets, temperature, false, false)) {
      return e.logprobs();
    }
  }

  /** {@link #valuesOnly}'s values {@code (N)} alone, the evaluation freed at once. */
  public static double[] valuesOf(Gpt gpt, ParameterStore params, TokenBatch batch) {
    try (PolicyEvaluation e = valuesOnly(gpt, params, batch)) {
      return e.values();
    }
  }

  /** The value head's outputs on {@code batch} alone, with their backward (a PPO critic's). */
  public static PolicyEvaluation valuesOnly(Gpt gpt, ParameterStore params, TokenBatch batch) {
    ForwardPass pass = gpt.forward(params, batch, EnumSet.of(Output.VALUES));
    return new PolicyEvaluation(gpt, params, pass, null, null, 1.0, null, null,
        pass.values().castTo(DataType.DOUBLE).toDoubleVector());
  }

  /** Log-probs {@code (N)}; 0 where the target was −1. */
  public double[] logprobs() {
    if (logprobs == null) {
      throw new IllegalStateException("log-probs were not requested");
    }
    return logprobs.clone();
  }

  /** Entropies {@code (N)} of {@code softmax(logits / T)}, if requested. */
  public double[] entropies() {
    if (entropies == null) {
      throw new IllegalStateException("entropy was not requested");
    }
    return entropies.clone();
  }

  /** Value-head outputs {@code (N)}, if requested. */
  public double[] values() {
    if (values == null) {
      throw new IllegalStateException("values were not requested");
    }
    return values.clone();
  }

  /**
   * Adds to {@code grads} the gradient of a loss whose derivatives with respect to the log-probs,
   * entropies and values are given (any may be null).
   */
  public void backward(ParameterStore grads, double[] dlogprobs, double[] dentropies,
      double[] dvalues) {
    if (rows == null && (dlogprobs != null || dentropies != null)) {
      throw new IllegalStateException("a values-only evaluation has no log-probs to differentiate");
    }
    DataType dt = params.dtype();
    INDArray dlogits = null;
    if (probs != null && (dlogprobs != null || dentropies != null)) {
      int m = rows.count();
      dlogits = probs.ulike().assign(0.0); // (M, V)
      if (dlogprobs != null) {
        // d logp / d logits = (onehot − p) / T; the kernel adds dloss · (p − onehot)
        double[] scaled = rows.gather(dlogprobs);
        for (int i = 0; i < m; i++) {
          scaled[i] = -scaled[i] / temperature;
        }
        gpt.kernels().crossEntropyBackward(dlogits, Nd4j.createFromArray(scaled).castTo(dt),
            probs, rows.targets());
      }
      if (dentropies != null) {
        // d H / d z_j = −p_j (log p_j + H), and z = logits / T
        INDArray logp = Transforms.log(probs.add(Float.MIN_NORMAL), false); // (M, V)
        INDArray h = Nd4j.createFromArray(rows.gather(entropies)).castTo(dt).reshape(m, 1);
        INDArray scale = Nd4j.createFromArray(rows.gather(dentropies)).castTo(dt).reshape(m, 1)
            .divi(-temperature);
        dlogits.addi(logp.addiColumnVector(h).muli(probs).muliColumnVector(scale));
        NativeArrays.release(logp);
      }
    }
    INDArray dv = dvalues == null ? null : Nd4j.createFromArray(dvalues).castTo(dt);
    gpt.backward(params, grads, pass, dlogits, dv, null);
    NativeArrays.release(dlogits);
  }

  /** Frees the probabilities and the forward pass; the numbers read out stay valid. */
  @Override
  public void close() {
    NativeArrays.release(probs);
    pass.close();
  }
}
