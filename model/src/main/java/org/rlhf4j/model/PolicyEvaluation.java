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
 * carries them into the parameters.
 */
public final class PolicyEvaluation {
  private final Gpt gpt;
  private final ParameterStore params;
  private final ForwardPass pass;
  private final INDArray probs; // (N, V) softmax(logits / T)
  private final int[] targets;
  private final double temperature;
  private final double[] logprobs;
  private final double[] entropies; // or null
  private final double[] values; // or null

  private PolicyEvaluation(Gpt gpt, ParameterStore params, ForwardPass pass, INDArray probs,
      int[] targets, double temperature, double[] logprobs, double[] entropies, double[] values) {
    this.gpt = gpt;
    this.params = params;
    this.pass = pass;
    this.probs = probs;
    this.targets = targets;
    this.temperature = temperature;
    this.logprobs = logprobs;
    this.entropies = entropies;
    this.values = values;
  }

  /**
   * Evaluates {@code batch}; {@code targets (N)} holds each row's next token or −1 (its log-prob
   * is then 0 and it gets no gradient).
   */
  public static PolicyEvaluation of(Gpt gpt, ParameterStore params, TokenBatch batch,
      int[] targets, double temperature, boolean withEntropy, boolean withValues) {
    EnumSet<Output> outputs = withValues ? EnumSet.of(Output.LOGITS, Output.VALUES)
        : EnumSet.of(Output.LOGITS);
    ForwardPass pass = gpt.forward(params, batch, outputs);
    INDArray scaled = pass.logits().div(temperature); // (N, V)
    INDArray probs = scaled.ulike();
    INDArray losses = Nd4j.create(scaled.dataType(), batch.rows()); // (N)
    gpt.kernels().crossEntropyForward(losses, probs, scaled, targets);
    double[] logprobs = losses.castTo(DataType.DOUBLE).toDoubleVector();
    for (int i = 0; i < logprobs.length; i++) {
      logprobs[i] = -logprobs[i];
    }
    double[] entropies = null;
    if (withEntropy) {
      // H = −Σ p log p, with 0·log 0 = 0
      INDArray plogp = probs.mul(Transforms.log(probs.add(Float.MIN_NORMAL), false)); // (N, V)
      entropies = plogp.sum(1).negi().castTo(DataType.DOUBLE).toDoubleVector();
    }
    double[] values = withValues ? pass.values().castTo(DataType.DOUBLE).toDoubleVector() : null;
    return new PolicyEvaluation(gpt, params, pass, probs, targets, temperature, logprobs,
        entropies, values);
  }

  /** Log-probs {@code (N)}; 0 where the target was −1. */
  public double[] logprobs() {
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
    int n = targets.length;
    DataType dt = probs.dataType();
    INDArray dlogits = probs.ulike().assign(0.0); // (N, V)
    if (dlogprobs != null) {
      // d logp / d logits = (onehot − p) / T; the kernel adds dloss · (p − onehot)
      double[] scaled = new double[n];
      for (int i = 0; i < n; i++) {
        scaled[i] = -dlogprobs[i] / temperature;
      }
      gpt.kernels().crossEntropyBackward(dlogits, Nd4j.createFromArray(scaled).castTo(dt), probs,
          targets);
    }
    if (dentropies != null) {
      // d H / d z_j = −p_j (log p_j + H), and z = logits / T
      INDArray logp = Transforms.log(probs.add(Float.MIN_NORMAL), false); // (N, V)
      INDArray h = Nd4j.createFromArray(entropies).castTo(dt).reshape(n, 1);
      INDArray scale = Nd4j.createFromArray(dentropies).castTo(dt).reshape(n, 1).divi(-temperature);
      dlogits.addi(logp.addiColumnVector(h).muli(probs).muliColumnVector(scale));
    }
    INDArray dv = dvalues == null ? null : Nd4j.createFromArray(dvalues).castTo(dt);
    gpt.backward(params, grads, pass, dlogits, dv, null);
  }
}
