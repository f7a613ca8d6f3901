package org.rlhf4j.learner.async;

import org.nd4j.linalg.api.buffer.DataType;
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
}
