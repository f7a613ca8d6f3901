package org.rlhf4j.learner.async;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.learner.RewardTrainer;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;

/**
 * The reward scorer's step: the frozen reward model's score of {@code prompt + response} and the
 * frozen reference policy's log-prob of each response token, added to a {@link Rollout}. The
 * log-probs use the sampling temperature ({@code log softmax(logits / T)}), as the behaviour
 * log-probs do, so the learner's per-token KL compares like with like. Neither model is written.
 */
public final class RolloutScoring {
  private final Gpt rewardModel;
  private final ParameterStore reward;
  private final Gpt referenceModel;
  private final ParameterStore reference;
  private final double temperature;
  private final int padId;

  /**
   * @param rewardModel a model with a {@link Head#REWARD} head
   * @param temperature the rollouts' sampling temperature, {@code rlhf4j.ppo.temperature}
   * @param padId the padding token of the batches the models see
   */
  public RolloutScoring(Gpt rewardModel, ParameterStore reward, Gpt referenceModel,
      ParameterStore reference, double temperature, int padId) {
    if (!rewardModel.heads().contains(Head.REWARD)) {
      throw new IllegalArgumentException("the reward model has no REWARD head; it has "
          + rewardModel.heads());
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be > 0 and finite, got "
          + temperature);
    }
    this.rewardModel = rewardModel;
    this.reward = reward;
    this.referenceModel = referenceModel;
    this.reference = reference;
    this.temperature = temperature;
    this.padId = padId;
  }

  /**
   * Scores {@code rollouts} in one batch per model, keeping their order; each rollout is copied
   * unchanged into its {@link ScoredRollout}.
   *
   * @throws IllegalArgumentException naming the rollout, for an empty prompt or a sequence longer
   *     than either model's context (its score would be of a cut sequence)
   */
  public List<ScoredRollout> score(List<Rollout> rollouts) {
    if (rollouts.isEmpty()) {
      return List.of();
    }
    int n = rollouts.size();
    List<int[]> prompts = new ArrayList<>(n);
    List<int[]> responses = new ArrayList<>(n);
    int maxLength = Math.min(rewardModel.config().contextLength(),
        referenceModel.config().contextLength());
    for (Rollout r : rollouts) {
      int[] p = r.getPromptIdsList().stream().mapToInt(Integer::intValue).toArray();
      int[] s = r.getResponseIdsList().stream().mapToInt(Integer::intValue).toArray();
      if (p.length == 0) {
        throw new IllegalArgumentException("rollout " + r.getRolloutId() + " has an empty prompt");
      }
      if (p.length + s.length > maxLength) {
        throw new IllegalArgumentException("rollout " + r.getRolloutId() + " has " + p.length
            + " prompt + " + s.length + " response tokens, more than the " + maxLength
            + " the reward and reference models read");
      }
      prompts.add(p);
      responses.add(s);
    }
    // 1. reward-model scores of prompt + response
    double[] scores = RewardTrainer.score(rewardModel, reward, prompts, responses, maxLength,
        padId, n);
    // 2. reference log-probs of each response token, at the sampling temperature
    ResponseBatch batch = ResponseBatch.of(prompts, responses, maxLength, padId);
    double[] logprobs = PolicyEvaluation.logprobsOf(referenceModel, reference, batch.tokens(),
        batch.targets(), temperature); // (N)
    List<ScoredRollout> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ScoredRollout.Builder b = ScoredRollout.newBuilder()
          .setRollout(rollouts.get(i))
          .setScore((float) scores[i]);
      for (int k = 0; k < batch.responseLength(i); k++) {
        b.addReferenceLogprobs((float) logprobs[batch.row(i, k)]);
      }
      out.add(b.build());
    }
    return out;
  }
}
