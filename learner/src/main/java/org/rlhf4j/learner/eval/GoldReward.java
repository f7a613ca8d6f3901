package org.rlhf4j.learner.eval;

import java.util.List;
import org.rlhf4j.tasks.sentiment.Labeler;

/** Gold reward of sampled responses: the task's labeler on their text, with an interval. */
public final class GoldReward {
  private GoldReward() {}

  /** The gold score of each sample, in order. */
  public static double[] scores(List<PolicySamples.Sample> samples, Labeler labeler,
      ScoredText text) {
    double[] scores = new double[samples.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = labeler.score(text.of(samples.get(i)));
    }
    return scores;
  }

  /**
   * The mean gold score with its normal-approximation 95% interval. Samples of one prompt are
   * correlated, so with K > 1 per prompt the interval is somewhat too narrow.
   */
  public static MeanInterval of(List<PolicySamples.Sample> samples, Labeler labeler,
      ScoredText text) {
    return Statistics.meanInterval(scores(samples, labeler, text));
  }
}
