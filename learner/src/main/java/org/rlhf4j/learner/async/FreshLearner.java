package org.rlhf4j.learner.async;

import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.OptimizerStep;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;

/**
 * Builds a {@link PpoLearner} at version 0 from initial weights, the same way for a run and for
 * its replay: private float copies of the policy and critic, fresh AdamW state sized for
 * {@code iterations × epochs × minibatches} updates over each model's trainable tensors (with
 * LoRA, its heads and adapters).
 */
public final class FreshLearner {
  private FreshLearner() {}

  /**
   * @param criticModel the separate critic, or null (GRPO/RLOO or a value head on the policy)
   * @param initialCritic its initial weights (InstructGPT: the reward model's), or null
   */
  public static PpoLearner create(RlhfConfig c, Gpt policyModel, ParameterStore initialPolicy,
      Gpt criticModel, ParameterStore initialCritic, int padId) {
    ParameterStore policy = initialPolicy.copy(DataType.FLOAT);
    long updatesTotal = (long) c.ppo().iterations() * c.ppo().epochs() * c.ppo().minibatches();
    OptimizerStep policyOptimizer = new OptimizerStep(policyModel.trainable(policy),
        c.optimizer(), updatesTotal, policyModel.kernels());
    ParameterStore critic = initialCritic == null ? null : initialCritic.copy(DataType.FLOAT);
    OptimizerStep criticOptimizer = critic == null ? null
        : new OptimizerStep(criticModel.trainable(critic), c.optimizer(), updatesTotal,
            criticModel.kernels());
    return new PpoLearner(new PpoLearner.Models(policyModel, policy, criticModel, critic),
        c.ppo(), new PpoLearner.Settings(c.async().maxLag(), c.run().seed(), padId),
        policyOptimizer, criticOptimizer);
  }
}
