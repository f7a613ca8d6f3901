package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.rl.GroupAdvantages.Scale;
import org.rlhf4j.learner.rl.GroupAdvantages.Spread;

class GroupAdvantagesTest {
  // two prompts, three responses each; the second group scored all responses alike
  private static final double[] SCORES = {1, 2, 3, 10, 10, 10};

  @Test
  void grpoWithThePopulationDeviationDividesByTheSquareRootOfTheMeanSquaredDeviation() {
    double[] adv = new double[6];
    GroupAdvantages.grpo(adv, SCORES, 3, Scale.GROUP, Spread.POPULATION, 1e-4);
    // group 0: mean 2, deviations (−1, 0, 1), population std √(2/3); group 1: all 0
    double std = Math.sqrt(2.0 / 3);
    assertArrayEquals(new double[] {-1 / (std + 1e-4), 0, 1 / (std + 1e-4), 0, 0, 0}, adv,
        1e-15);
  }

  @Test
  void grpoWithTheSampleDeviationMatchesTorchStdAsTrlUsesIt() {
    double[] adv = SCORES.clone();
    GroupAdvantages.grpo(adv, adv, 3, Scale.GROUP, Spread.SAMPLE, 1e-4);
    // group 0: sample std √(2/(3 − 1)) = 1
    assertArrayEquals(new double[] {-1 / 1.0001, 0, 1 / 1.0001, 0, 0, 0}, adv, 1e-15);
  }

  /**
   * Three groups of three: spread 1 (sample std 1), all alike, spread 0.5 (sample std 0.5). The
   * batch (mean 5.5) has squared deviations summing to 103, so its sample std is √(103/8).
   */
  private static final double[] THREE_GROUPS = {1, 2, 3, 10, 10, 10, 4, 4.5, 5};

  private static double[] grpo(Scale scale, double[] scores) {
    double[] adv = new double[scores.length];
    GroupAdvantages.grpo(adv, scores, 3, scale, Spread.SAMPLE, 1e-4);
    return adv;
  }

  @Test
  void groupScalingGivesEveryGroupWithAnySpreadUnitScaleAndAnAllEqualGroupZero() {
    assertArrayEquals(new double[] {-1 / 1.0001, 0, 1 / 1.0001, 0, 0, 0, -0.5 / 0.5001, 0,
        0.5 / 0.5001}, grpo(Scale.GROUP, THREE_GROUPS), 1e-15);
  }

  @Test
  void batchScalingDividesEveryGroupByTheWholeBatchsDeviationSoANarrowGroupStaysSmall() {
    double d = Math.sqrt(103.0 / 8) + 1e-4;
    assertArrayEquals(new double[] {-1 / d, 0, 1 / d, 0, 0, 0, -0.5 / d, 0, 0.5 / d},
        grpo(Scale.BATCH, THREE_GROUPS), 1e-15);
    // in place: the batch's deviation is taken before any score is overwritten
    double[] inPlace = THREE_GROUPS.clone();
    GroupAdvantages.grpo(inPlace, inPlace, 3, Scale.BATCH, Spread.SAMPLE, 1e-4);
    assertArrayEquals(grpo(Scale.BATCH, THREE_GROUPS), inPlace, 0.0);
    // a batch that is all alike: 0 / (0 + eps)
    assertArrayEquals(new double[6], grpo(Scale.BATCH, new double[] {3, 3, 3, 3, 3, 3}), 0.0);
  }

  @Test
  void noScalingLeavesTheDistanceFromTheGroupMean() {
    assertArrayEquals(new double[] {-1, 0, 1, 0, 0, 0, -0.5, 0, 0.5},
        grpo(Scale.NONE, THREE_GROUPS), 0.0);
  }

  @Test
  void rlooSubtractsTheMeanOfTheOtherResponsesToTheSamePrompt() {
    double[] adv = new double[6];
    GroupAdvantages.rloo(adv, SCORES, 3);
    // 1 − (2+3)/2, 2 − (1+3)/2, 3 − (1+2)/2
    assertArrayEquals(new double[] {1 - 2.5, 2 - 2.0, 3 - 1.5, 0, 0, 0}, adv, 1e-15);
    double[] pairs = {4, 1};
    GroupAdvantages.rloo(pairs, pairs, 2);
    assertArrayEquals(new double[] {4 - 1, 1 - 4}, pairs, 0.0);
  }

  @Test
  void eachRowsAdvantageReachesAllItsResponseTokensAndNoPadding() {
    BatchShape shape = new BatchShape(3, 3);
    double[] tokens = new double[9];
    Arrays.fill(tokens, 7.0);
    GroupAdvantages.broadcast(tokens, shape, new double[] {0.5, -1.5, 2.0},
        new double[] {1, 1, 1, 1, 0, 0, 0, 0, 0});
    assertArrayEquals(new double[] {0.5, 0.5, 0.5, -1.5, 0, 0, 0, 0, 0}, tokens, 0.0);
  }

  @Test
  void groupsThatDoNotDivideTheBatchOrHoldOneResponseAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> GroupAdvantages.rloo(new double[6], SCORES, 4));
    assertThrows(IllegalArgumentException.class,
        () -> GroupAdvantages.rloo(new double[6], SCORES, 1));
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(new double[6], SCORES,
        3, Scale.GROUP, Spread.POPULATION, 0.0));
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(new double[6], SCORES,
        3, null, Spread.SAMPLE, 1e-4));
  }
}
