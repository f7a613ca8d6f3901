package org.rlhf4j.learner.eval;

import java.util.Arrays;
import java.util.List;
import org.rlhf4j.tasks.sentiment.Labeler;

/**
 * How often a policy's response beats a baseline's (e.g. the SFT model's) on the same prompt, as
 * the gold labeler judges: the AlpacaFarm / DPO-paper win rate with a programmatic judge.
 */
public final class WinRate {
  private WinRate() {}

  /**
   * Wins, ties and losses of the policy, and the rate {@code (wins + ties / 2) / n} with its
   * Wilson interval.
   */
  public record Result(int wins, int ties, int losses, MeanInterval rate) {}

  /**
   * Compares {@code policy.get(i)} with {@code baseline.get(i)}, which must answer the same
   * prompt. A win is a strictly higher gold score; equal scores are a tie and count as half a
   * win, in the rate and in the interval (Wilson's with {@code wins + ties / 2} successes). A
   * tie's half point varies less than a coin flip, so with ties the interval is conservative.
   */
  public static Result of(List<PolicySamples.Sample> policy, List<PolicySamples.Sample> baseline,
      Labeler labeler, ScoredText text) {
    if (policy.size() != baseline.size()) {
      throw new IllegalArgumentException("comparisons need one baseline sample per policy sample, "
          + "got " + policy.size() + " and " + baseline.size());
    }
    int wins = 0;
    int ties = 0;
    for (int i = 0; i < policy.size(); i++) {
      PolicySamples.Sample mine = policy.get(i);
      PolicySamples.Sample theirs = baseline.get(i);
      if (!Arrays.equals(mine.response().promptIds(), theirs.response().promptIds())) {
        throw new IllegalArgumentException("comparison " + i + " pairs responses to different "
            + "prompts");
      }
      double a = score(labeler, text.of(mine));
      double b = score(labeler, text.of(theirs));
      // == rather than Double.compare, so that 0.0 and −0.0 tie
      wins += a > b ? 1 : 0;
      ties += a == b ? 1 : 0;
    }
    int n = policy.size();
    return new Result(wins, ties, n - wins - ties, Statistics.wilson(wins + 0.5 * ties, n));
  }

  private static double score(Labeler labeler, String text) {
    double score = labeler.score(text);
    if (Double.isNaN(score)) {
      throw new IllegalArgumentException("the labeler scored NaN for " + text);
    }
    return score;
  }
}
