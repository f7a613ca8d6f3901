package org.rlhf4j.learner.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rlhf4j.learner.preference.DpoObjective.Result;

class DpoObjectiveTest {
  private static final double EXACT = 1e-12;

  // Pair 1: chosen log-ratio −10 − (−11) = 1, rejected −14 − (−13) = −1, so h = 2.
  // Pair 2: chosen −20 − (−19.5) = −0.5, rejected −18 − (−18.5) = 0.5, so h = −1.
  private static final double[] POLICY_CHOSEN = {-10, -20};
  private static final double[] POLICY_REJECTED = {-14, -18};
  private static final double[] REFERENCE_CHOSEN = {-11, -19.5};
  private static final double[] REFERENCE_REJECTED = {-13, -18.5};

  private static Result onFirstPair(DpoObjective objective) {
    return objective.evaluate(new double[] {-10}, new double[] {-14}, new double[] {-11},
        new double[] {-13});
  }

  private static Result onBothPairs(DpoObjective objective) {
    return objective.evaluate(POLICY_CHOSEN, POLICY_REJECTED, REFERENCE_CHOSEN,
        REFERENCE_REJECTED);
  }

  private static double[] one(double value) {
    return new double[] {value};
  }

  @Test
  void sigmoidLossIsMinusLogSigmoidOfBetaTimesTheLogRatioGap() {
    // β = 0.1, h = 2: −log σ(0.2) = log(1 + e^−0.2);
    // ∂/∂logπ(y_w) = −β·σ(−0.2) = −0.1 / (1 + e^0.2)
    Result r = onFirstPair(DpoObjective.sigmoid(0.1));
    assertEquals(Math.log(1 + Math.exp(-0.2)), r.loss(), EXACT);
    assertEquals(-0.1 / (1 + Math.exp(0.2)), r.gradPolicyChosen()[0], EXACT);
    assertEquals(0.1 / (1 + Math.exp(0.2)), r.gradPolicyRejected()[0], EXACT);
  }

  @Test
  void sigmoidLossAveragesOverPairs() {
    // h = 2 and h = −1 at β = 0.1: (log(1 + e^−0.2) + log(1 + e^0.1)) / 2
    Result r = onBothPairs(DpoObjective.sigmoid(0.1));
    assertEquals((Math.log(1 + Math.exp(-0.2)) + Math.log(1 + Math.exp(0.1))) / 2, r.loss(),
        EXACT);
    // the mean over P = 2 halves each slope: −0.1·σ(0.1) / 2 for the second pair
    assertEquals(-0.1 / (1 + Math.exp(-0.1)) / 2, r.gradPolicyChosen()[1], EXACT);
  }

  @Test
  void labelSmoothingMixesInTheFlippedLabel() {
    // cDPO, ε = 0.1, β = 0.1, h = 2: −0.9·log σ(0.2) − 0.1·log σ(−0.2)
    //   = 0.9·log(1 + e^−0.2) + 0.1·log(1 + e^0.2)
    Result r = onFirstPair(new DpoObjective(DpoLoss.SIGMOID, 0.1, 0.1));
    assertEquals(0.9 * Math.log(1 + Math.exp(-0.2)) + 0.1 * Math.log(1 + Math.exp(0.2)),
        r.loss(), EXACT);
    // ∂/∂logπ(y_w) = 0.1·(−0.9·σ(−0.2) + 0.1·σ(0.2))
    double expected = 0.1 * (-0.9 / (1 + Math.exp(0.2)) + 0.1 / (1 + Math.exp(-0.2)));
    assertEquals(expected, r.gradPolicyChosen()[0], EXACT);
  }

  @Test
  void hingeLossIsReluOfOneMinusBetaTimesTheGap() {
    // β = 0.1: h = 2 → relu(1 − 0.2) = 0.8; h = −1 → relu(1 + 0.1) = 1.1; mean (0.8 + 1.1) / 2
    Result r = onBothPairs(new DpoObjective(DpoLoss.HINGE, 0.1, 0));
    assertEquals((0.8 + 1.1) / 2, r.loss(), EXACT);
    assertEquals(-0.1 / 2, r.gradPolicyChosen()[0], EXACT);
    assertEquals(0.1 / 2, r.gradPolicyRejected()[1], EXACT);
  }

  @Test
  void hingeLossAndGradientVanishOnceTheMarginIsMet() {
    // β = 1, h = 2: relu(1 − 2) = 0
    Result r = onFirstPair(new DpoObjective(DpoLoss.HINGE, 1, 0));
    assertEquals(0.0, r.loss(), 0.0);
    assertEquals(0.0, r.gradPolicyChosen()[0], 0.0);
  }

  @Test
  void ipoLossIsTheSquaredDistanceOfTheAveragedGapFromOneOverTwoBeta() {
    // per-token averages: chosen −1.0 − (−1.2) = 0.2, rejected −1.6 − (−1.4) = −0.2, h = 0.4;
    // β = 0.5: 1/(2β) = 1, loss (0.4 − 1)² = 0.36, ∂/∂logπ(y_w) = 2·(0.4 − 1) = −1.2
    DpoObjective ipo = new DpoObjective(DpoLoss.IPO, 0.5, 0);
    Result r = ipo.evaluate(one(-1.0), one(-1.6), one(-1.2), one(-1.4));
    assertEquals((0.4 - 1) * (0.4 - 1), r.loss(), EXACT);
    assertEquals(2 * (0.4 - 1), r.gradPolicyChosen()[0], EXACT);
    assertEquals(-2 * (0.4 - 1), r.gradPolicyRejected()[0], EXACT);
  }

  @Test
  void ipoLossAveragesOverPairs() {
    // β = 0.1: 1/(2β) = 5; h = 2 → (2 − 5)² = 9, h = −1 → (−1 − 5)² = 36; mean (9 + 36) / 2
    Result r = onBothPairs(new DpoObjective(DpoLoss.IPO, 0.1, 0));
    assertEquals((9 + 36) / 2.0, r.loss(), 1e-10);
  }

  @Test
  void onlyIpoAsksForTokenAveragedLogProbs() {
    for (DpoLoss loss : DpoLoss.values()) {
      assertEquals(loss == DpoLoss.IPO, loss.usesTokenAveragedLogProbs(), loss.name());
    }
  }

  @Test
  void robustLossDebiasesTheSmoothedLoss() {
    // ε = 0.1, β = 0.1, h = 2: (0.9·(−log σ(0.2)) + 0.1·log σ(−0.2)) / (1 − 0.2)
    //   = (0.9·log(1 + e^−0.2) − 0.1·log(1 + e^0.2)) / 0.8
    Result r = onFirstPair(new DpoObjective(DpoLoss.ROBUST, 0.1, 0.1));
    assertEquals((0.9 * Math.log(1 + Math.exp(-0.2)) - 0.1 * Math.log(1 + Math.exp(0.2))) / 0.8,
        r.loss(), EXACT);
    // ∂/∂logπ(y_w) = 0.1·(−0.9·σ(−0.2) − 0.1·σ(0.2)) / 0.8
    double expected = 0.1 * (-0.9 / (1 + Math.exp(0.2)) - 0.1 / (1 + Math.exp(-0.2))) / 0.8;
    assertEquals(expected, r.gradPolicyChosen()[0], EXACT);
  }

  @Test
  void robustLossWithoutLabelNoiseIsPlainDpo() {
    assertEquals(onBothPairs(DpoObjective.sigmoid(0.3)).loss(),
        onBothPairs(new DpoObjective(DpoLoss.ROBUST, 0.3, 0)).loss(), EXACT);
  }

  @Test
  void ktoPairLossUsesTheOtherHalfsKlClampedAtZero() {
    // chosen log-ratios c = (1, 3), mean 2 → KL_w = 2;
    // rejected r = (−3, 1), mean −1 → KL_l = max(0, −1) = 0.
    // β = 0.1, four terms 1 − σ(x) = 1 / (1 + e^x), averaged over 2P = 4:
    //   1 − σ(0.1·(1 − 0)), 1 − σ(0.1·(3 − 0)), 1 − σ(0.1·(2 − (−3))), 1 − σ(0.1·(2 − 1))
    DpoObjective kto = new DpoObjective(DpoLoss.KTO_PAIR, 0.1, 0);
    Result r = kto.evaluate(new double[] {-9, -7}, new double[] {-13, -9},
        new double[] {-10, -10}, new double[] {-10, -10});
    double expected = (1 / (1 + Math.exp(0.1)) + 1 / (1 + Math.exp(0.3))
        + 1 / (1 + Math.exp(0.5)) + 1 / (1 + Math.exp(0.1))) / 4;
    assertEquals(expected, r.loss(), EXACT);
  }

  @Test
  void ktoPairLossSubtractsAPositiveKlEstimate() {
    // c = (1, 3) → KL_w = 2; r = (0.5, 1.5), mean 1 → KL_l = 1. β = 0.1, averaged over 4:
    //   1 − σ(0.1·(1 − 1)) = 1/2, 1 − σ(0.1·(3 − 1)) = 1/(1 + e^0.2),
    //   1 − σ(0.1·(2 − 0.5)) = 1/(1 + e^0.15), 1 − σ(0.1·(2 − 1.5)) = 1/(1 + e^0.05)
    DpoObjective kto = new DpoObjective(DpoLoss.KTO_PAIR, 0.1, 0);
    Result r = kto.evaluate(new double[] {-9, -7}, new double[] {-9.5, -8.5},
        new double[] {-10, -10}, new double[] {-10, -10});
    double expected = (0.5 + 1 / (1 + Math.exp(0.2)) + 1 / (1 + Math.exp(0.15))
        + 1 / (1 + Math.exp(0.05))) / 4;
    assertEquals(expected, r.loss(), EXACT);
  }

  @Test
  void metricsCarryTrlsNamesAndValues() {
    // β = 0.1; chosen log-ratios (1, −0.5), rejected (−1, 0.5)
    DpoMetrics m = onBothPairs(DpoObjective.sigmoid(0.1)).metrics();
    assertEquals((0.1 * 1 + 0.1 * -0.5) / 2, m.rewardsChosen(), EXACT);
    assertEquals((0.1 * -1 + 0.1 * 0.5) / 2, m.rewardsRejected(), EXACT);
    assertEquals(1 / 2.0, m.rewardsAccuracies(), 0.0); // pair 1 ranked right, pair 2 wrong
    assertEquals((0.1 * 2 + 0.1 * -1) / 2, m.rewardsMargins(), EXACT);
    assertEquals((-10 - 20) / 2.0, m.logpsChosen(), 0.0);
    assertEquals((-14 - 18) / 2.0, m.logpsRejected(), 0.0);
    assertEquals(List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies",
        "rewards/margins", "logps/chosen", "logps/rejected"), List.copyOf(m.asMap().keySet()));
    assertEquals(m.rewardsMargins(), m.asMap().get(DpoMetrics.REWARDS_MARGINS), 0.0);
  }

  @Test
  void aTiedPairCountsAsInaccurate() {
    Result r = DpoObjective.sigmoid(0.1).evaluate(one(-5), one(-5), one(-5), one(-5));
    assertEquals(0.0, r.metrics().rewardsAccuracies(), 0.0);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(DpoLoss.class)
  void gradientMatchesFiniteDifferences(DpoLoss loss) {
    double eps = loss.usesLabelSmoothing() ? 0.2 : 0;
    // rows: policy chosen, policy rejected, reference chosen, reference rejected.
    // Set 1: h = (−1.1, 1.4, −0.7), chosen KL estimate clamped, rejected active (KTO_PAIR);
    // set 2: h = (0.9, −1.3, 1.9), the opposite. β = 2 puts HINGE pairs past the margin.
    double[][] first = {
        {-12.3, -8.1, -15.0}, {-11.7, -9.9, -13.2}, {-12.0, -9.0, -14.1}, {-12.5, -9.4, -13.0}};
    double[][] second = {
        {-5.0, -7.5, -6.2}, {-8.0, -6.0, -9.1}, {-5.6, -7.1, -7.0}, {-7.7, -6.9, -8.0}};
    for (double beta : new double[] {0.5, 2}) {
      for (double[][] data : List.of(first, second)) {
        DpoObjective objective = new DpoObjective(loss, beta, eps);
        double[] pc = data[0].clone();
        double[] pr = data[1].clone();
        Result r = objective.evaluate(pc, pr, data[2], data[3]);
        String name = loss + " β=" + beta + (data == first ? " set 1" : " set 2");
        GradientCheck.check(name + " chosen", pc, r.gradPolicyChosen(),
            () -> objective.evaluate(pc, pr, data[2], data[3]).loss());
        GradientCheck.check(name + " rejected", pr, r.gradPolicyRejected(),
            () -> objective.evaluate(pc, pr, data[2], data[3]).loss());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(DpoLoss.class)
  void hugeLogRatioGapsStayFinite(DpoLoss loss) {
    double eps = loss.usesLabelSmoothing() ? 0.1 : 0;
    for (double beta : new double[] {0.1, 1, 10}) {
      // h = +1000 and h = −1000
      Result r = new DpoObjective(loss, beta, eps).evaluate(new double[] {-1, -1001},
          new double[] {-1001, -1}, new double[] {-1, -1}, new double[] {-1, -1});
      String at = loss + " β=" + beta;
      assertTrue(Double.isFinite(r.loss()), at + " loss " + r.loss());
      for (int i = 0; i < 2; i++) {
        assertTrue(Double.isFinite(r.gradPolicyChosen()[i]), at + " chosen gradient " + i);
        assertTrue(Double.isFinite(r.gradPolicyRejected()[i]), at + " rejected gradient " + i);
      }
      r.metrics().asMap().forEach((key, value) ->
          assertTrue(Double.isFinite(value), at + " " + key + " " + value));
    }
  }

  @Test
  void sigmoidLossReachesItsAsymptotesExactlyForHugeGaps() {
    // β = 1, h = 1000: log(1 + e^−1000) underflows to 0;
    // h = −1000: log(1 + e^1000) = 1000 + log(1 + e^−1000) = 1000, where the naive form overflows
    DpoObjective dpo = DpoObjective.sigmoid(1);
    Result won = dpo.evaluate(one(-1), one(-1001), one(-1), one(-1));
    Result lost = dpo.evaluate(one(-1001), one(-1), one(-1), one(-1));
    assertEquals(0.0, won.loss(), EXACT);
    assertEquals(0.0, won.gradPolicyChosen()[0], EXACT);
    assertEquals(1000.0, lost.loss(), EXACT);
    assertEquals(-1.0, lost.gradPolicyChosen()[0], EXACT); // −β·σ(1000)
  }

  @Test
  void betaMustBePositive() {
    for (double beta : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new DpoObjective(DpoLoss.SIGMOID, beta, 0));
      assertEquals("beta must be a finite number > 0, got " + beta, e.getMessage());
    }
  }

  @Test
  void labelSmoothingMustLieInZeroToOneHalf() {
    for (double eps : new double[] {0.5, 0.7, -0.1, Double.NaN}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new DpoObjective(DpoLoss.SIGMOID, 0.1, eps));
      assertEquals("labelSmoothing must be in [0, 0.5), got " + eps, e.getMessage());
    }
  }

  @Test
  void robustLossRejectsLabelNoiseOfOneHalfBecauseItDividesByZero() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DpoObjective(DpoLoss.ROBUST, 0.1, 0.5));
    assertEquals("ROBUST divides by 1 − 2·labelSmoothing, so labelSmoothing must be < 0.5, "
        + "got 0.5", e.getMessage());
  }

  @Test
  void labelSmoothingIsRejectedForLossesThatIgnoreIt() {
    for (DpoLoss loss : List.of(DpoLoss.HINGE, DpoLoss.IPO, DpoLoss.KTO_PAIR)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new DpoObjective(loss, 0.1, 0.1));
      assertEquals("labelSmoothing applies only to SIGMOID and ROBUST; " + loss
          + " got 0.1, set it to 0", e.getMessage());
    }
  }

  @Test
  void aMissingLossTypeIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DpoObjective(null, 0.1, 0));
    assertTrue(e.getMessage().startsWith("lossType is null"), e.getMessage());
  }

  @Test
  void arraysOfDifferentLengthsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DpoObjective.sigmoid(0.1).evaluate(new double[] {-1, -2}, new double[] {-1, -2},
            new double[] {-1}, new double[] {-1, -2}));
    assertEquals("referenceChosen has 1 entries but policyChosen has 2; "
        + "every array needs one entry per pair", e.getMessage());
  }

  @Test
  void anEmptyBatchIsRejected() {
    double[] none = {};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DpoObjective.sigmoid(0.1).evaluate(none, none, none, none));
    assertEquals("policyChosen is empty; an objective needs at least one pair", e.getMessage());
  }
}
