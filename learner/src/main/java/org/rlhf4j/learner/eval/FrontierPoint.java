package org.rlhf4j.learner.eval;

/**
 * One point of a reward–KL frontier plot (KL to the reference on x, gold reward on y, both with
 * their 95% intervals as error bars), labelled e.g. by method and β or by training step.
 */
public record FrontierPoint(String label, MeanInterval kl, MeanInterval goldReward) {

  /** The point of an evaluation report. */
  public static FrontierPoint of(String label, Evaluation.Report report) {
    return new FrontierPoint(label, report.kl(), report.goldReward().orElseThrow(
        () -> new IllegalArgumentException(label + ": the report has no gold reward to plot")));
  }
}
