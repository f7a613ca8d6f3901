package org.rlhf4j.learner.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.preference.BradleyTerryObjective.Result;
import org.rlhf4j.learner.preference.Rankings.Weighting;

class BradleyTerryObjectiveTest {
  private static final double EXACT = 1e-12;

  @Test
  void lossIsTheMeanOfMinusLogSigmoidOfTheRewardGap() {
    // gaps 2 − 1 = 1 and 0 − 1 = −1: (log(1 + e^−1) + log(1 + e^1)) / 2
    Result r = BradleyTerryObjective.evaluate(new double[] {2, 0}, new double[] {1, 1});
    assertEquals((Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(1))) / 2, r.loss(), EXACT);
    // ∂/∂r_chosen = −σ(−gap) / P: −1/(1 + e^1) / 2 and −1/(1 + e^−1) / 2;
    // ∂/∂r_rejected is the opposite
    assertEquals(-1 / (1 + Math.exp(1)) / 2, r.gradChosen()[0], EXACT);
    assertEquals(-1 / (1 + Math.exp(-1)) / 2, r.gradChosen()[1], EXACT);
    assertEquals(1 / (1 + Math.exp(-1)) / 2, r.gradRejected()[1], EXACT);
  }

  @Test
  void marginIsSubtractedFromTheRewardGap() {
    // gaps 1 and −1 less margins 0.5 and 1: (log(1 + e^−0.5) + log(1 + e^2)) / 2
    Result r = BradleyTerryObjective.evaluate(new double[] {2, 0}, new double[] {1, 1},
        new double[] {0.5, 1});
    assertEquals((Math.log(1 + Math.exp(-0.5)) + Math.log(1 + Math.exp(2))) / 2, r.loss(),
        EXACT);
    assertEquals(-1 / (1 + Math.exp(0.5)) / 2, r.gradChosen()[0], EXACT);
  }

  @Test
  void accuracyCountsStrictWinsAndMeanMarginIsTheRewardGap() {
    // 3 > 1 right, 1 > 2 wrong, 2 = 2 a tie (wrong), 0.5 > 0 right: 2/4;
    // gaps 2, −1, 0, 0.5: mean 1.5/4
    double[] chosen = {3, 1, 2, 0.5};
    double[] rejected = {1, 2, 2, 0};
    Result plain = BradleyTerryObjective.evaluate(chosen, rejected);
    assertEquals(2 / 4.0, plain.accuracy(), 0.0);
    assertEquals(1.5 / 4, plain.meanMargin(), EXACT);
    // the margins passed in change the loss, not the metrics
    Result withMargins = BradleyTerryObjective.evaluate(chosen, rejected,
        new double[] {10, 10, 10, 10});
    assertEquals(plain.accuracy(), withMargins.accuracy(), 0.0);
    assertEquals(plain.meanMargin(), withMargins.meanMargin(), 0.0);
    assertTrue(withMargins.loss() > plain.loss());
  }

  @Test
  void gradientMatchesFiniteDifferencesWithoutMargin() {
    double[] chosen = {0.3, -1.2, 2.5};
    double[] rejected = {0.1, 0.4, -0.6};
    Result r = BradleyTerryObjective.evaluate(chosen, rejected);
    GradientCheck.check("bradley-terry chosen", chosen, r.gradChosen(),
        () -> BradleyTerryObjective.evaluate(chosen, rejected).loss());
    GradientCheck.check("bradley-terry rejected", rejected, r.gradRejected(),
        () -> BradleyTerryObjective.evaluate(chosen, rejected).loss());
  }

  @Test
  void gradientMatchesFiniteDifferencesWithMarginsAndWeights() {
    double[] chosen = {0.3, -1.2, 2.5};
    double[] rejected = {0.1, 0.4, -0.6};
    double[] margins = {0.5, 0, 2};
    double[] weights = {1 / 3.0, 1 / 3.0, 1};
    Result r = BradleyTerryObjective.evaluate(chosen, rejected, margins, weights);
    GradientCheck.check("bradley-terry weighted chosen", chosen, r.gradChosen(),
        () -> BradleyTerryObjective.evaluate(chosen, rejected, margins, weights).loss());
    GradientCheck.check("bradley-terry weighted rejected", rejected, r.gradRejected(),
        () -> BradleyTerryObjective.evaluate(chosen, rejected, margins, weights).loss());
  }

  @Test
  void perPromptWeightingMakesEveryPromptCountOnce() {
    // prompt 0 ranks completions 0 > 1 > 2 with rewards (1, 0.5, 0): gaps 0.5, 1, 0.5;
    // prompt 1 ranks 1 > 0 with rewards (0.2, 0.4): gap 0.2
    double[][] rewards = {{1, 0.5, 0}, {0.2, 0.4}};
    List<int[]> rankings = List.of(new int[] {0, 1, 2}, new int[] {1, 0});
    double a = Math.log(1 + Math.exp(-0.5));
    double b = Math.log(1 + Math.exp(-1));
    double c = Math.log(1 + Math.exp(-0.2));

    Rankings.Comparisons perPrompt = Rankings.expand(rankings, Weighting.PER_PROMPT);
    Result r = BradleyTerryObjective.evaluate(perPrompt.chosenScores(rewards),
        perPrompt.rejectedScores(rewards), null, perPrompt.weight());
    assertEquals(((a + b + a) / 3 + c) / 2, r.loss(), EXACT);

    Rankings.Comparisons perPair = Rankings.expand(rankings, Weighting.PER_PAIR);
    Result q = BradleyTerryObjective.evaluate(perPair.chosenScores(rewards),
        perPair.rejectedScores(rewards), null, perPair.weight());
    assertEquals((a + b + a + c) / 4, q.loss(), EXACT);
  }

  @Test
  void gradientsScatteredBackToCompletionsMatchFiniteDifferences() {
    double[][] rewards = {{0.7, -0.2, 1.1, 0.3}, {0.5, -0.5, 0.0}};
    Rankings.Comparisons pairs = Rankings.expand(
        List.of(new int[] {2, 0, 3, 1}, new int[] {1, 2, 0}), Weighting.PER_PROMPT);
    Result r = BradleyTerryObjective.evaluate(pairs.chosenScores(rewards),
        pairs.rejectedScores(rewards), null, pairs.weight());
    double[][] grad = {new double[4], new double[3]};
    pairs.addGradients(grad, r.gradChosen(), r.gradRejected());
    for (int q = 0; q < rewards.length; q++) {
      GradientCheck.check("bradley-terry ranking prompt " + q, rewards[q], grad[q],
          () -> BradleyTerryObjective.evaluate(pairs.chosenScores(rewards),
              pairs.rejectedScores(rewards), null, pairs.weight()).loss());
    }
  }

  @Test
  void hugeRewardGapsStayFinite() {
    // gaps +1000 and −1000: (log(1 + e^−1000) + log(1 + e^1000)) / 2 = (0 + 1000) / 2
    Result r = BradleyTerryObjective.evaluate(new double[] {500, -500}, new double[] {-500, 500});
    assertEquals(1000 / 2.0, r.loss(), EXACT);
    assertEquals(0.0, r.gradChosen()[0], EXACT);
    assertEquals(-1 / 2.0, r.gradChosen()[1], EXACT);
    assertEquals(1 / 2.0, r.gradRejected()[1], EXACT);
  }

  @Test
  void arraysOfDifferentLengthsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BradleyTerryObjective.evaluate(new double[] {1, 2}, new double[] {1}));
    assertEquals("rejectedRewards has 1 entries but chosenRewards has 2; "
        + "every array needs one entry per pair", e.getMessage());
    IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
        () -> BradleyTerryObjective.evaluate(new double[] {1, 2}, new double[] {1, 0},
            new double[] {0}));
    assertEquals("margins has 1 entries but chosenRewards has 2; "
        + "every array needs one entry per pair", m.getMessage());
  }

  @Test
  void negativeOrAllZeroWeightsAreRejected() {
    double[] chosen = {1, 2};
    double[] rejected = {0, 0};
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> BradleyTerryObjective.evaluate(chosen, rejected, null, new double[] {1, -0.5}));
    assertEquals("weights[1] must be a finite number ≥ 0, got -0.5", negative.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> BradleyTerryObjective.evaluate(chosen, rejected, null, new double[] {0, 0}));
    assertEquals("weights sum to 0.0; at least one pair needs a positive weight",
        zero.getMessage());
  }

  @Test
  void anEmptyBatchIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BradleyTerryObjective.evaluate(new double[0], new double[0]));
    assertEquals("chosenRewards is empty; an objective needs at least one pair", e.getMessage());
  }
}
