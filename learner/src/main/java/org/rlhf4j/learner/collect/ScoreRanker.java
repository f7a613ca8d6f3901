package org.rlhf4j.learner.collect;

/**
 * Ranks by gold score directly, higher first: a noiseless annotator. Deterministic; equal scores
 * keep sampling order (the response sampled first ranks higher), so a tie between two different
 * texts still becomes a pair, chosen = the earlier sample.
 */
public final class ScoreRanker implements Ranker {

  @Override
  public int[] rank(long prompt, double[] scores) {
    RankerChecks.scores(scores);
    int[] order = new int[scores.length]; // (K)
    // insertion sort, stable: a response moves up only past strictly lower scores
    for (int i = 0; i < order.length; i++) {
      int j = i;
      while (j > 0 && scores[order[j - 1]] < scores[i]) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = i;
    }
    return order;
  }

  @Override
  public String toString() {
    return "ScoreRanker";
  }
}
