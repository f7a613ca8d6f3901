package org.rlhf4j.model;

import java.util.EnumSet;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code log softmax(logits / temperature)[target]} for every row of a batch through the training
 * forward pass, in float32: the reference the rollout engine's behaviour log-probs are tested
 * against (the learner itself uses {@link PolicyEvaluation#logprobsOf}).
 */
public final class TokenLogProbs {
  private TokenLogProbs() {}

  /** Log-probs {@code (N)} of {@code targets (N)} (0 where a target is negative). */
  public static float[] of(Gpt gpt, ParameterStore params, TokenBatch batch, int[] targets,
      double temperature) {
    TargetRows rows = TargetRows.of(targets);
    float[] out = new float[targets.length];
    if (rows.count() == 0) {
      return out;
    }
    float[] perTarget;
    try (ForwardPass pass = gpt.forward(params, batch, EnumSet.of(Output.LOGITS), rows.rows())) {
      INDArray logits = pass.logits(); // (M, V), softmaxed in place: one (M, V) array
      logits.divi(temperature);
      INDArray losses = ArrayPool.SHARED.take(logits.dataType(), rows.count()); // (M)
      gpt.kernels().crossEntropyForward(losses, logits, logits, rows.targets());
      perTarget = losses.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).toFloatVector();
      NativeArrays.release(losses);
    }
    for (int i = 0; i < perTarget.length; i++) {
      out[rows.rows()[i]] = -perTarget[i];
    }
    return out;
  }
}
