package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.rl.BatchShape;
import org.rlhf4j.learner.rl.KlEstimator;
import org.rlhf4j.learner.rl.TokenRewards;

class PpoUpdateTest {
  // (B=4, T=2), two groups of two; every token real
  private static final BatchShape SHAPE = new BatchShape(4, 2);
  private static final double[] MASK = {1, 1, 1, 1, 1, 1, 1, 1};
  private static final double SQRT2 = Math.sqrt(2);

  private static PpoConfig grouped(String settings) {
    return ConfigLoader.parse("rlhf4j.ppo { batch-size = 4, group-size = 2, " + settings + " }",
        "t.conf").ppo();
  }

  /** Each row's advantage on both of its tokens. */
  private static double[] perToken(double... rows) {
    double[] out = new double[rows.length * 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = rows[i / 2];
    }
    return out;
  }

  private static double[] advantages(PpoConfig config, double[] scores, double[] nonScore) {
    PpoUpdate.Advantages a = PpoUpdate.advantages(config, SHAPE, new double[8], nonScore, scores,
        null, MASK);
    assertNull(a.returns());
    return a.advantages();
  }

  /**
   * Scores (0.5, 0.25 | 2, 1); rows 0, 2 and 3 missed EOS, so with penalty 1 they are
   * (−0.5, 0.25 | 1, 0): the order in group 0 flips, group 1 only shifts.
   */
  private static double[] penalisedScores() {
    double[] out = new double[4];
    new TokenRewards(KlEstimator.K1, 1.0, false).penalisedScores(out,
        new double[] {0.5, 0.25, 2.0, 1.0}, new boolean[] {false, true, false, false});
    return out;
  }

  @Test
  void grpoDividesAsScaleRewardsSays() {
    // pairs (1, 3) and (5, 5): distances from the group mean (−1, 1, 0, 0)
    double[] scores = {1, 3, 5, 5};
    double group = Math.sqrt(2) + 1e-4; // sample std of (1, 3)
    double batch = Math.sqrt(11.0 / 3) + 1e-4; // mean 3.5: (6.25 + 0.25 + 2.25 + 2.25) / 3
    assertArrayEquals(perToken(-1 / group, 1 / group, 0, 0),
        advantages(grouped("advantage = grpo"), scores, new double[4]), 1e-15);
    assertArrayEquals(perToken(-1 / batch, 1 / batch, 0, 0),
        advantages(grouped("advantage = grpo, grpo.scale-rewards = batch"), scores,
            new double[4]), 1e-15);
    assertArrayEquals(perToken(-1, 1, 0, 0),
        advantages(grouped("advantage = grpo, grpo.scale-rewards = none"), scores,
            new double[4]), 0.0);
  }

  @Test
  void grpoWithTheKlInTheLossNormalisesTheScoreAloneAndWithTheKlInTheRewardScorePlusPenalty() {
    double[] scores = {1, 3, 5, 5};
    double[] nonScore = {-2, 0, -0.5, 0}; // −β·Σ kl_t per response
    double pair = Math.sqrt(2) + 1e-4; // sample std of a pair 2 apart, + eps
    assertArrayEquals(perToken(-1 / pair, 1 / pair, 0, 0),
        advantages(grouped("advantage = grpo, grpo.kl-in = loss"), scores, nonScore), 1e-15);
    // score + penalty: (−1, 3 | 4.5, 5), pairs 4 and 0.5 apart
    double wide = 2 / (2 * Math.sqrt(2) + 1e-4);
    double narrow = 0.25 / (0.25 * Math.sqrt(2) + 1e-4);
    assertArrayEquals(perToken(-wide, wide, -narrow, narrow),
        advantages(grouped("advantage = grpo, grpo.kl-in = reward"), scores, nonScore), 1e-15);
  }

  @Test
  void rlooFoldsTheKlIntoTheRewardWhateverGrpoKlInSays() {
    double[] scores = {1, 3, 5, 5};
    double[] nonScore = {-2, 0, -0.5, 0};
    // (−1, 3 | 4.5, 5): each minus the other of its pair
    double[] expected = perToken(-4, 4, -0.5, 0.5);
    for (String klIn : new String[] {"loss", "reward"}) {
      PpoConfig c = grouped("advantage = rloo, grpo.kl-in = " + klIn);
      assertFalse(PpoUpdate.klInLoss(c), klIn);
      assertArrayEquals(expected, advantages(c, scores, nonScore), 0.0, klIn);
    }
    assertTrue(PpoUpdate.klInLoss(grouped("advantage = grpo")), "TRL's GRPO is the default");
  }

  @Test
  void rlooAdvantagesAreThoseOfThePenalisedScores() {
    // s_i − the other member of the pair: −0.5 − 0.25, 0.25 + 0.5, 1 − 0, 0 − 1
    assertArrayEquals(perToken(-0.75, 0.75, 1.0, -1.0),
        advantages(grouped("advantage = rloo"), penalisedScores(), new double[4]), 0.0);
  }

  @Test
  void grpoAdvantagesAreThoseOfThePenalisedScores() {
    // a pair (m − d, m + d) has sample std d·√2, so A = ±d / (d·√2 + 1e-4): d = 0.375 and 0.5
    double a0 = 0.375 / (0.375 * SQRT2 + 1e-4);
    double a1 = 0.5 / (0.5 * SQRT2 + 1e-4);
    assertArrayEquals(perToken(-a0, a0, a1, -a1),
        advantages(grouped("advantage = grpo"), penalisedScores(), new double[4]), 1e-15);
  }
}
