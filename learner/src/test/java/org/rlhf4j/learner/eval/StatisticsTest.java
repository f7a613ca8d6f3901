package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatisticsTest {
  private static final double Z = 1.959963984540054;
  private static final double Z2 = Z * Z; // 3.841458820694124

  @Test
  void meanIntervalIsTheMeanPlusOrMinusZTimesTheStandardError() {
    // mean 3; squared deviations 4 + 1 + 0 + 1 + 4 = 10, s² = 10 / 4 = 2.5;
    // standard error √(2.5 / 5) = √0.5 = 0.7071067811865476; half-width Z · √0.5 = 1.3859038243
    MeanInterval m = Statistics.meanInterval(new double[] {1, 2, 3, 4, 5});
    assertEquals(3.0, m.mean(), 1e-15);
    assertEquals(3 - 1.3859038243496777, m.low(), 1e-12);
    assertEquals(3 + 1.3859038243496777, m.high(), 1e-12);
    assertEquals(5, m.count());
  }

  @Test
  void meanIntervalUsesTheSampleStandardDeviation() {
    // mean 6 / 4 = 1.5; deviations 0.5, −2.5, −1, 3; squares sum to 16.5, s² = 16.5 / 3 = 5.5;
    // standard error √5.5 / 2 = 1.1726039399558574; half-width 2.2982614904432490
    MeanInterval m = Statistics.meanInterval(new double[] {2, -1, 0.5, 4.5});
    assertEquals(1.5, m.mean(), 1e-15);
    assertEquals(1.5 - 2.298261490443249, m.low(), 1e-12);
    assertEquals(1.5 + 2.298261490443249, m.high(), 1e-12);
  }

  @Test
  void oneValueHasAMeanButNoInterval() {
    MeanInterval m = Statistics.meanInterval(new double[] {0.25});
    assertEquals(0.25, m.mean());
    assertTrue(Double.isNaN(m.low()) && Double.isNaN(m.high()));
    assertFalse(m.contains(0.25));
  }

  @Test
  void noValuesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Statistics.meanInterval(new double[0]));
  }

  @Test
  void wilsonIntervalOfEightInTenMatchesTheHandComputation() {
    // p = 0.8, n = 10: denominator 1 + Z²/10 = 1.3841458821; centre (0.8 + Z²/20) / 1.3841458821
    // = 0.7167402; half-width Z·√(0.016 + Z²/400) / 1.3841458821 = 0.2265777
    MeanInterval w = Statistics.wilson(8, 10);
    assertEquals(0.8, w.mean(), 1e-15);
    assertEquals(0.49016247153664183, w.low(), 1e-12);
    assertEquals(0.9433178485456247, w.high(), 1e-12);
    assertEquals(10, w.count());
  }

  @Test
  void wilsonIntervalReachesTheBoundaryAtNoneAndAllSuccesses() {
    // at p = 0 the interval is [0, Z²/(n + Z²)]; at p = 1 it is [n/(n + Z²), 1]
    MeanInterval none = Statistics.wilson(0, 10);
    assertEquals(0.0, none.low());
    assertEquals(Z2 / (10 + Z2), none.high(), 1e-12);
    assertEquals(0.2775327998628892, none.high(), 1e-12);
    MeanInterval all = Statistics.wilson(10, 10);
    assertEquals(10 / (10 + Z2), all.low(), 1e-12);
    assertEquals(1.0, all.high());
    assertTrue(all.contains(1.0));
  }

  @Test
  void wilsonIntervalAcceptsHalfSuccessesForTies() {
    // 6 wins and 2 ties in 10 are 7 successes: p = 0.7, the interval of 7 in 10
    MeanInterval w = Statistics.wilson(6 + 0.5 * 2, 10);
    assertEquals(0.7, w.mean(), 1e-15);
    assertEquals(0.39677814746114537, w.low(), 1e-12);
    assertEquals(0.8922087325936989, w.high(), 1e-12);
  }

  @Test
  void impossibleProportionsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Statistics.wilson(0, 0));
    assertThrows(IllegalArgumentException.class, () -> Statistics.wilson(11, 10));
    assertThrows(IllegalArgumentException.class, () -> Statistics.wilson(-1, 10));
    assertThrows(IllegalArgumentException.class, () -> Statistics.wilson(Double.NaN, 10));
  }

  @Test
  void ratioIntervalTreatsEachClusterAsOneObservation() {
    // R = (1 + 2 + 3) / (2 + 2 + 4) = 0.75; residuals y − R·x: −0.5, 0.5, 0, squares 0.5;
    // √(0.5 / (3 · 2)) = 0.2886751346; x̄ = 8/3; half-width Z · 0.2886751346 / (8/3) = 0.2121723251
    MeanInterval m = Statistics.ratioInterval(new double[] {1, 2, 3}, new double[] {2, 2, 4});
    assertEquals(0.75, m.mean(), 1e-15);
    assertEquals(0.75 - 0.2121723251392822, m.low(), 1e-12);
    assertEquals(0.75 + 0.2121723251392822, m.high(), 1e-12);
    assertEquals(8, m.count());
  }

  @Test
  void ratioIntervalOfOneClusterHasNoBoundsAndOfNothingIsRefused() {
    MeanInterval one = Statistics.ratioInterval(new double[] {3}, new double[] {4});
    assertEquals(0.75, one.mean());
    assertTrue(Double.isNaN(one.low()) && Double.isNaN(one.high()));
    assertThrows(IllegalArgumentException.class,
        () -> Statistics.ratioInterval(new double[] {0, 0}, new double[] {0, 0}));
    assertThrows(IllegalArgumentException.class,
        () -> Statistics.ratioInterval(new double[] {1}, new double[] {1, 2}));
  }
}
