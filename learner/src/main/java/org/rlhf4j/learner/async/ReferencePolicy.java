package org.rlhf4j.learner.async;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;

/**
 * The frozen reference of PPO's KL penalty, as the scorers read it: a copy of the initial policy,
 * or with LoRA the learner's own base (TRL with PEFT: the adapters switched off), so one model is
 * in memory, not two.
 */
public record ReferencePolicy(Gpt model, ParameterStore params) {

  /**
   * The reference of a run whose policy is {@code policyModel}, starting at {@code initialPolicy}
   * and trained by {@code learner}. With LoRA it is {@code policyModel}'s body over a view of the
   * learner's live weights: the learner writes only the heads and adapters, which lie after the
   * body in the buffer, so scorers on other threads read bytes nobody writes.
   */
  public static ReferencePolicy of(Gpt policyModel, ParameterStore initialPolicy,
      PpoLearner learner) {
    if (policyModel.lora().isPresent()) {
      return new ReferencePolicy(policyModel.body(), policyModel.bodyView(learner.policyParams()));
    }
    return new ReferencePolicy(policyModel, initialPolicy.copy(DataType.FLOAT));
  }

  /**
   * Bytes of weights this reference holds apart from {@code policy}'s: 0 when it views the
   * policy's own buffer (LoRA), a whole model's otherwise.
   */
  public long bytesApartFrom(ParameterStore policy) {
    return root(params.flat()) == root(policy.flat()) ? 0
        : params.flat().length() * params.dtype().width();
  }

  /** The buffer {@code a} lives in (a view's own data() is a wrapper of its parent's). */
  private static DataBuffer root(INDArray a) {
    DataBuffer parent = a.data().originalDataBuffer();
    return parent != null ? parent : a.data();
  }
}
