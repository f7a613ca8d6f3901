package org.rlhf4j.learner.eval;

import java.util.List;
import org.rlhf4j.learner.RewardTrainer;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;

/** Scores prompt + response sequences, higher meaning better: a reward model's role. */
@FunctionalInterface
public interface SequenceScorer {

  /** One score per sequence {@code prompts[i] + responses[i]}. */
  double[] score(List<int[]> prompts, List<int[]> responses);

  /** A reward model (a GPT with the REWARD head), read in batches of {@code batchSize}. */
  static SequenceScorer rewardModel(Gpt model, ParameterStore params, int padId, int batchSize) {
    if (!model.heads().contains(Head.REWARD)) {
      throw new IllegalArgumentException("a reward model needs the REWARD head, this one has "
          + model.heads());
    }
    return (prompts, responses) -> RewardTrainer.score(model, params, prompts, responses,
        model.config().contextLength(), padId, batchSize);
  }
}
