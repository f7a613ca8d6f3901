package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenRewardsTest {

  @Test
  void theKlPenaltyCoversEveryResponseTokenAndTheScoreSitsOnTheLastOne() {
    // (B=3, T=3): a full row, a row with one padded token, a row of padding; padding holds junk
    BatchShape shape = new BatchShape(3, 3);
    double[] logp = {-1.0, -1.2, -0.5, -0.2, -0.3, 99.0, 1.0, 2.0, 3.0};
    double[] logpRef = {-1.5, -1.0, -0.5, -0.4, -0.6, 7.0, 4.0, 5.0, 6.0};
    double[] mask = {1, 1, 1, 1, 1, 0, 0, 0, 0};
    double[] scores = {2.0, -1.0, 42.0};
    double[] rewards = new double[9];
    double[] nonScore = new double[3];
    TokenRewards.Totals totals = new TokenRewards(KlEstimator.K1, 0.0, false)
        .compute(rewards, nonScore, shape, logp, logpRef, scores, null, mask, 0.1);
    // k1 = logp − logpRef: row 0 (0.5, −0.2, 0), row 1 (0.2, 0.3)
    assertArrayEquals(new double[] {
        -0.1 * 0.5, -0.1 * -0.2, -0.1 * 0.0 + 2.0,
        -0.1 * 0.2, -0.1 * 0.3 - 1.0, 0,
        0, 0, 0}, rewards, 1e-15);
    assertArrayEquals(new double[] {-0.1 * (0.5 - 0.2), -0.1 * (0.2 + 0.3), 0}, nonScore, 1e-15);
    // means over the two rows with response tokens
    assertEquals((0.3 + 0.5) / 2, totals.kl(), 1e-15);
    assertEquals((-0.03 - 0.05) / 2, totals.nonScoreReward(), 1e-15);
    assertEquals((2.0 - 1.0) / 2, totals.score(), 1e-15);
    assertEquals((2.0 - 0.03 - 1.0 - 0.05) / 2, totals.rlhfReward(), 1e-15);
  }

  @Test
  void aResponseCutOffBeforeEosHasThePenaltySubtractedFromItsScore() {
    BatchShape shape = new BatchShape(2, 2);
    // r = logpRef − logp: row 0 (ln 2, 0), row 1 (−ln 2, 0)
    double[] logp = {-Math.log(4), -1.0, -Math.log(2), -1.0};
    double[] logpRef = {-Math.log(2), -1.0, -Math.log(4), -1.0};
    double[] rewards = new double[4];
    double[] nonScore = new double[2];
    TokenRewards.Totals totals = new TokenRewards(KlEstimator.K3, 1.0, false)
        .compute(rewards, nonScore, shape, logp, logpRef, new double[] {0.5, 0.5},
            new boolean[] {true, false}, new double[] {1, 1, 1, 1}, 0.2);
    double k3Row0 = (2 - 1) - Math.log(2);
    double k3Row1 = (0.5 - 1) + Math.log(2);
    assertArrayEquals(new double[] {-0.2 * k3Row0, 0.5, -0.2 * k3Row1, 0.5 - 1.0}, rewards,
        1e-15);
    assertArrayEquals(new double[] {-0.2 * k3Row0, -0.2 * k3Row1}, nonScore, 1e-15);
    assertEquals((0.5 + (0.5 - 1.0)) / 2, totals.score(), 1e-15);
    assertEquals((k3Row0 + k3Row1) / 2, totals.kl(), 1e-15);
  }

  @Test
  void penalisedScoresAreTheScoresLessThePenaltyWhereEosIsMissingAsOnTheLastToken() {
    TokenRewards penalised = new TokenRewards(KlEstimator.K1, 0.75, false);
    double[] scores = {0.5, 0.5, -2.0};
    boolean[] eos = {true, false, false};
    double[] out = new double[3];
    penalised.penalisedScores(out, scores, eos);
    assertArrayEquals(new double[] {0.5, 0.5 - 0.75, -2.0 - 0.75}, out, 0.0);
    // the same scores compute() puts on each row's last token (no KL: equal log-probs)
    BatchShape shape = new BatchShape(3, 1);
    double[] rewards = new double[3];
    penalised.compute(rewards, new double[3], shape, new double[3], new double[3], scores, eos,
        new double[] {1, 1, 1}, 0.1);
    assertArrayEquals(out, rewards, 0.0);
    // in place, and without flags when there is no penalty
    new TokenRewards(KlEstimator.K1, 0.0, false).penalisedScores(scores, scores, null);
    assertArrayEquals(new double[] {0.5, 0.5, -2.0}, scores, 0.0);
  }

  @Test
  void whitenedRewardsHaveUnitVarianceButKeepTheirMeanAndPaddingStaysZero() {
    BatchShape shape = new BatchShape(1, 4);
    double[] same = {-1.0, -1.0, -1.0, -1.0};
    double[] rewards = new double[4];
    double[] nonScore = new double[1];
    new TokenRewards(KlEstimator.K2, 0.0, true).compute(rewards, nonScore, shape, same, same,
        new double[] {3.0}, null, new double[] {1, 1, 1, 0}, 0.1);
    // before whitening (0, 0, 3): mean 1, deviations (−1, −1, 2), unbiased variance 6/2 = 3
    double s = Math.sqrt(3 + 1e-8);
    assertArrayEquals(new double[] {1 - 1 / s, 1 - 1 / s, 1 + 2 / s, 0}, rewards, 1e-15);
    assertEquals(0.0, nonScore[0], 0.0);
  }

  @Test
  void aBatchOfPaddingOnlyGetsZerosAndNoMeans() {
    BatchShape shape = new BatchShape(1, 2);
    double[] rewards = {5, 5};
    double[] nonScore = {5};
    TokenRewards.Totals totals = new TokenRewards(KlEstimator.K1, 0.0, false).compute(rewards,
        nonScore, shape, new double[] {1, 2}, new double[] {3, 4}, new double[] {9}, null,
        new double[] {0, 0}, 0.1);
    assertArrayEquals(new double[] {0, 0}, rewards, 0.0);
    assertArrayEquals(new double[] {0}, nonScore, 0.0);
    assertTrue(Double.isNaN(totals.kl()));
  }

  @Test
  void aPenaltyWithoutEosFlagsAndANegativePenaltyAreRejected() {
    BatchShape shape = new BatchShape(1, 2);
    TokenRewards penalised = new TokenRewards(KlEstimator.K1, 1.0, false);
    assertThrows(IllegalArgumentException.class, () -> penalised.compute(new double[2],
        new double[1], shape, new double[2], new double[2], new double[1], null,
        new double[] {1, 1}, 0.1));
    assertThrows(IllegalArgumentException.class,
        () -> penalised.penalisedScores(new double[1], new double[1], null));
    assertThrows(IllegalArgumentException.class,
        () -> new TokenRewards(KlEstimator.K1, -1.0, false));
  }
}
