package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GaeTest {

  @Test
  void threeTokensWithGammaOneAndLambdaPointNineFiveFollowTheRecursionStepByStep() {
    BatchShape shape = new BatchShape(1, 3);
    double[] rewards = {0.0, 0.0, 1.0};
    double[] values = {0.5, 0.6, 0.7};
    double[] advantages = new double[3];
    double[] returns = new double[3];
    new Gae(1.0, 0.95).compute(advantages, returns, shape, rewards, values, new double[] {1, 1, 1});
    // t=2: δ = 1 + 1·0 − 0.7 = 0.3;       A = 0.3
    // t=1: δ = 0 + 1·0.7 − 0.6 = 0.1;     A = 0.1 + 0.95·0.3 = 0.385
    // t=0: δ = 0 + 1·0.6 − 0.5 = 0.1;     A = 0.1 + 0.95·0.385 = 0.46575
    assertArrayEquals(new double[] {0.46575, 0.385, 0.3}, advantages, 1e-15);
    assertArrayEquals(new double[] {0.46575 + 0.5, 0.385 + 0.6, 0.3 + 0.7}, returns, 1e-15);
  }

  @Test
  void paddingNeitherLeaksIntoRealTokensNorGetsAnything() {
    // (B=3, T=3): a full row, a row with one padded token, a row of padding; padding holds junk
    BatchShape shape = new BatchShape(3, 3);
    double[] rewards = {0.0, 0.0, 1.0, 0.2, -0.1, 50.0, 7.0, 8.0, 9.0};
    double[] values = {0.5, 0.6, 0.7, 0.3, 0.4, 100.0, -3.0, -4.0, -5.0};
    double[] mask = {1, 1, 1, 1, 1, 0, 0, 0, 0};
    double[] advantages = new double[9];
    double[] returns = new double[9];
    new Gae(1.0, 0.95).compute(advantages, returns, shape, rewards, values, mask);
    // row 0 is the previous test's row
    // row 1, t=1 (its last real token): δ = −0.1 + 1·0 − 0.4 = −0.5;  A = −0.5
    //        t=0: δ = 0.2 + 1·0.4 − 0.3 = 0.3;  A = 0.3 + 0.95·(−0.5) = −0.175
    assertArrayEquals(new double[] {0.46575, 0.385, 0.3, -0.175, -0.5, 0, 0, 0, 0}, advantages,
        1e-15);
    assertArrayEquals(new double[] {0.96575, 0.985, 1.0, -0.175 + 0.3, -0.5 + 0.4, 0, 0, 0, 0},
        returns, 1e-15);
  }

  @Test
  void discountingMultipliesEachStepByGammaAndTheTraceByGammaLambda() {
    BatchShape shape = new BatchShape(1, 2);
    double[] advantages = new double[2];
    double[] returns = new double[2];
    new Gae(0.9, 0.5).compute(advantages, returns, shape, new double[] {1.0, 2.0},
        new double[] {0.4, 1.5}, new double[] {1, 1});
    // t=1: δ = 2 + 0.9·0 − 1.5 = 0.5;     A = 0.5
    // t=0: δ = 1 + 0.9·1.5 − 0.4 = 1.95;  A = 1.95 + 0.9·0.5·0.5 = 2.175
    assertArrayEquals(new double[] {2.175, 0.5}, advantages, 1e-15);
    assertArrayEquals(new double[] {2.175 + 0.4, 0.5 + 1.5}, returns, 1e-15);
  }

  @Test
  void withGammaAndLambdaOneTheReturnIsTheSumOfTheRemainingRewards() {
    BatchShape shape = new BatchShape(1, 4);
    double[] advantages = new double[4];
    double[] returns = new double[4];
    new Gae(1.0, 1.0).compute(advantages, returns, shape, new double[] {1, 2, 3, 4},
        new double[] {9, -2, 0.5, 3}, new double[] {1, 1, 1, 1});
    assertArrayEquals(new double[] {1 + 2 + 3 + 4, 2 + 3 + 4, 3 + 4, 4}, returns, 1e-13);
    assertArrayEquals(new double[] {10 - 9, 9 + 2, 7 - 0.5, 4 - 3}, advantages, 1e-13);
  }

  @Test
  void theOutputsMayOverwriteRewardsAndValuesInPlace() {
    BatchShape shape = new BatchShape(2, 3);
    double[] rewards = {0.0, 0.0, 1.0, 0.2, -0.1, 50.0};
    double[] values = {0.5, 0.6, 0.7, 0.3, 0.4, 100.0};
    double[] mask = {1, 1, 1, 1, 1, 0};
    double[] advantages = new double[6];
    double[] returns = new double[6];
    Gae gae = new Gae(0.99, 0.95);
    gae.compute(advantages, returns, shape, rewards, values, mask);
    gae.compute(rewards, values, shape, rewards, values, mask);
    assertArrayEquals(advantages, rewards, 0.0);
    assertArrayEquals(returns, values, 0.0);
  }

  @Test
  void gammaAndLambdaOutsideTheUnitIntervalAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Gae(1.01, 0.95));
    assertThrows(IllegalArgumentException.class, () -> new Gae(1.0, -0.1));
    assertThrows(IllegalArgumentException.class, () -> new Gae(Double.NaN, 0.95));
  }
}
