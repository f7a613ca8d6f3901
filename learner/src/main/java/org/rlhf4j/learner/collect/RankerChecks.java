package org.rlhf4j.learner.collect;

import java.util.Arrays;

/** The argument checks every {@link Ranker} makes. */
final class RankerChecks {
  private RankerChecks() {}

  /** Requires at least two finite scores. */
  static void scores(double[] scores) {
    if (scores == null || scores.length < 2) {
      throw new IllegalArgumentException("a ranking needs at least 2 scores, got "
          + (scores == null ? "null" : Arrays.toString(scores)));
    }
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException("score " + i + " must be a finite number, got "
            + Arrays.toString(scores));
      }
    }
  }

  /** Requires a finite temperature greater than 0. */
  static double temperature(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "temperature must be a finite number > 0, got " + temperature);
    }
    return temperature;
  }
}
