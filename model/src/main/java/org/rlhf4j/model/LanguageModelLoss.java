package org.rlhf4j.model;

import java.util.EnumSet;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mean next-token cross-entropy over the rows that have a target (target ≥ 0), with its backward:
 * the loss of SFT and of the training benchmark. The pass's logits become the probabilities, then
 * their gradient. {@link #close} frees its arrays and its pass.
 */
public final class LanguageModelLoss implements AutoCloseable {
  private final Gpt gpt;
  private final ParameterStore params;
  private final ForwardPass pass;
  // (M, V) on the rows with a target, or null when there is none: the pass's logits, turned into
  // probabilities in place and then into their gradient, so a 50,257-token head keeps one (M, V)
  private final INDArray probs;
  private final int[] targets; // (M)
  private final int counted;
  private final double loss;
  private boolean backwardDone;

  private LanguageModelLoss(Gpt gpt, ParameterStore params, ForwardPass pass, INDArray probs,
      int[] targets, int counted, double loss) {
    this.gpt = gpt;
    this.params = params;
    this.pass = pass;
    this.probs = probs;
    this.targets = targets;
    this.counted = counted;
    this.loss = loss;
  }

  /** Forward pass and loss; {@code targets (N)} holds the next token of each row or −1. */
  public static LanguageModelLoss mean(Gpt gpt, ParameterStore params, TokenBatch batch,
      int[] targets) {
    if (targets.length != batch.rows()) {
      throw new IllegalArgumentException("targets must have B*T = " + batch.rows() + " entries");
    }
    TargetRows rows = TargetRows.of(targets);
    if (rows.count() == 0) {
      ForwardPass pass = gpt.forward(params, batch, EnumSet.noneOf(Output.class));
      return new LanguageModelLoss(gpt, params, pass, null, rows.targets(), 0, 0.0);
    }
    ForwardPass pass = gpt.forward(params, batch, EnumSet.of(Output.LOGITS), rows.rows());
    INDArray probs = pass.logits(); // (M, V), softmaxed in place
    INDArray losses = ArrayPool.SHARED.take(probs.dataType(), rows.count()); // (M)
    gpt.kernels().crossEntropyForward(losses, probs, probs, rows.targets());
    double loss = losses.sumNumber().doubleValue() / rows.count();
    NativeArrays.release(losses);
    return new LanguageModelLoss(gpt, params, pass, probs, rows.targets(), rows.count(), loss);
  }

  /** The mean loss over rows with a target. */
  public double loss() {
    return loss;
  }

  /** Rows that had a target. */
  public int tokens() {
    return counted;
  }

  public ForwardPass pass() {
    return pass;
  }

  /** Adds the gradient of {@link #loss()} into {@code grads}. */
  public void backward(ParameterStore grads) {
    backward(grads, 1.0);
  }

  /**
   * Adds the gradient of {@code scale ×} {@link #loss()} into {@code grads}; once per loss, as the
   * probabilities become the gradient.
   */
  public void backward(ParameterStore grads, double scale) {
    if (backwardDone) {
      throw new IllegalStateException("a loss's backward runs once: its probabilities became"
          + " their gradient");
    }
    backwardDone = true;
    if (counted == 0) {
      return; // a loss of 0 whatever the parameters
    }
    INDArray dlosses = ArrayPool.SHARED.take(probs.dataType(), targets.length)
        .assign(scale / counted); // (M)
    gpt.kernels().crossEntropyBackwardInPlace(probs, dlosses, targets); // now dlogits (M, V)
    gpt.backward(params, grads, pass, probs, null, null);
    NativeArrays.release(dlosses);
  }

  /** Frees the forward pass, logits included; nothing of this loss may be used after. */
  @Override
  public void close() {
    pass.close();
  }
}
