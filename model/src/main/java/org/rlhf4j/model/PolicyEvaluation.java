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
 * carries them into the parameters. The logits become the probabilities and, in the backward, their
 * gradient, in place: with 50,257 tokens each (rows, V) array is ~0.2 MB a row. {@link #close}
 * frees its native memory once done.
 */
public final class PolicyEvaluation implements AutoCloseable {
  private final Gpt gpt;
  private final ParameterStore params;
  private final ForwardPass pass;
  // (M, V) softmax(logits / T) on the rows with a target, in the pass's logits, or null
  private final INDArray probs;
  private final TargetRows rows; // or null for a values-only evaluation
  private final double temperature;
  private final double[] logprobs;
  private final double[] entropies; // or null
  private final double[] values; // or null
  private boolean backwardDone;

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
    INDArray probs = pass.logits().divi(temperature); // (M, V), softmaxed in place below
    INDArray losses = ArrayPool.SHARED.take(probs.dataType(), rows.count()); // (M)
    gpt.kernels().crossEntropyForward(losses, probs, probs, rows.targets());
    double[] logprobs = losses.castTo(DataType.DOUBLE).toDoubleVector();
    NativeArrays.release(losses);
    for (int i = 0; i < logprobs.length; i++) {
      logprobs[i] = -logprobs[i];
    }
    double[] entropies = null;
    if (withEntropy) {
      // H = −Σ p log p, with 0·log 0 = 0
      INDArray plogp = logOf(probs).muli(probs); // (M, V)
      entropies = rows.spread(plogp.sum(1).negi().castTo(DataType.DOUBLE).toDoubleVector());
      NativeArrays.release(plogp);
    }
    return new PolicyEvaluation(gpt, params, pass, probs, rows, temperature,
        rows.spread(logprobs), entropies, values);
  }

  /** {@code log(p + MIN_NORMAL)} in a pooled array: the logarithm that is finite where p is 0. */
  private static INDArray logOf(INDArray probs) {
    INDArray logp = ArrayPool.SHARED.take(probs.dataType(), probs.shape());
    probs.add(Float.MIN_NORMAL, logp);
    return Transforms.log(logp, false);
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
   * entropies and values are given (any may be null); once per evaluation with log-probs, as the
   * probabilities become the logits' gradient.
   */
  public void backward(ParameterStore grads, double[] dlogprobs, double[] dentropies,
      double[] dvalues) {
    if (rows == null && (dlogprobs != null || dentropies != null)) {
      throw new IllegalStateException("a values-only evaluation has no log-probs to differentiate");
    }
    if (backwardDone && probs != null) {
      throw new IllegalStateException("an evaluation's backward runs once: its probabilities"
          + " became the logits' gradient");
    }
    backwardDone = true;
    DataType dt = params.dtype();
    INDArray dlogits = null;
    if (probs != null && (dlogprobs != null || dentropies != null)) {
      int m = rows.count();
      INDArray entropyTerm = null;
      if (dentropies != null) {
        // d H / d z_j = −p_j (log p_j + H), and z = logits / T; read before p is overwritten
        INDArray h = Nd4j.createFromArray(rows.gather(entropies)).castTo(dt).reshape(m, 1);
        INDArray scale = Nd4j.createFromArray(rows.gather(dentropies)).castTo(dt).reshape(m, 1)
            .divi(-temperature);
        entropyTerm = logOf(probs).addiColumnVector(h).muli(probs).muliColumnVector(scale);
      }
      if (dlogprobs != null) {
        // d logp / d logits = (onehot − p) / T; the kernel writes dloss · (p − onehot) over p
        double[] scaled = rows.gather(dlogprobs);
        for (int i = 0; i < m; i++) {
          scaled[i] = -scaled[i] / temperature;
        }
        gpt.kernels().crossEntropyBackwardInPlace(probs,
            Nd4j.createFromArray(scaled).castTo(dt), rows.targets());
      } else {
        probs.assign(0.0);
      }
      if (entropyTerm != null) {
        probs.addi(entropyTerm);
        NativeArrays.release(entropyTerm);
      }
      dlogits = probs; // (M, V), freed with the pass
    }
    INDArray dv = dvalues == null ? null : Nd4j.createFromArray(dvalues).castTo(dt);
    gpt.backward(params, grads, pass, dlogits, dv, null);
  }

  /** Frees the forward pass, the probabilities (its logits) included; numbers read out stay. */
  @Override
  public void close() {
    pass.close();
  }
}
