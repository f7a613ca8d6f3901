package org.rlhf4j.learner.eval;

import java.util.ArrayList;
import java.util.List;
import org.rlhf4j.learner.PreferencePair;

/** The fraction of held-out preference pairs a reward model ranks the right way round. */
public final class RewardModelAccuracy {
  private RewardModelAccuracy() {}

  /** Pairs ranked correctly out of all, and the accuracy with its Wilson interval. */
  public record Result(int correct, int pairs, MeanInterval accuracy) {}

  /**
   * A pair is ranked correctly when the chosen response scores strictly higher than the rejected
   * one; a tie counts as wrong, as in TRL's {@code rewards/accuracies} and
   * {@code RewardTrainer.accuracy}, so a constant scorer gets 0, not 0.5. Margins are ignored.
   */
  public static Result of(List<PreferencePair> pairs, SequenceScorer scorer) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("accuracy needs at least one preference pair");
    }
    List<int[]> prompts = new ArrayList<>(pairs.size());
    List<int[]> chosen = new ArrayList<>(pairs.size());
    List<int[]> rejected = new ArrayList<>(pairs.size());
    for (PreferencePair p : pairs) {
      prompts.add(p.prompt());
      chosen.add(p.chosen());
      rejected.add(p.rejected());
    }
    double[] c = scorer.score(prompts, chosen);
    double[] r = scorer.score(prompts, rejected);
    if (c.length != pairs.size() || r.length != pairs.size()) {
      throw new IllegalStateException("the scorer returned " + c.length + " and " + r.length
          + " scores for " + pairs.size() + " sequences each");
    }
    int correct = 0;
    for (int i = 0; i < pairs.size(); i++) {
      correct += c[i] > r[i] ? 1 : 0;
    }
    return new Result(correct, pairs.size(), Statistics.wilson(correct, pairs.size()));
  }
}
