package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WhiteningTest {
  // (B=2, T=3): the second row has one real token; padding holds numbers that must not count
  private static final double[] VALUES = {1, 2, 100, 3, -50, 100};
  private static final double[] MASK = {1, 1, 0, 1, 0, 0};

  @Test
  void theMaskedMeanAndUnbiasedVarianceCountOnlyRealTokens() {
    // mean of 1, 2, 3 = 2; squared deviations 1 + 0 + 1 = 2
    assertEquals(2.0, Whitening.maskedMean(VALUES, MASK), 1e-15);
    assertEquals(2.0 / (3 - 1), Whitening.maskedVariance(VALUES, MASK, true), 1e-15);
    assertEquals(2.0 / 3, Whitening.maskedVariance(VALUES, MASK, false), 1e-15);
  }

  @Test
  void whiteningWithShiftedMeanGivesZeroMeanAndUnitVariance() {
    double[] out = new double[6];
    Whitening.whiten(out, VALUES, MASK, true);
    double s = Math.sqrt(1.0 + 1e-8); // unbiased variance 1, plus TRL's epsilon
    assertArrayEquals(new double[] {-1 / s, 0, 0, 1 / s, 0, 0}, out, 1e-15);
  }

  @Test
  void whiteningWithoutShiftingTheMeanAddsTheMeanBack() {
    double[] inPlace = VALUES.clone();
    Whitening.whiten(inPlace, inPlace, MASK, false);
    double s = Math.sqrt(1.0 + 1e-8);
    assertArrayEquals(new double[] {2 - 1 / s, 2, 0, 2 + 1 / s, 0, 0}, inPlace, 1e-15);
  }

  @Test
  void theUnbiasedVarianceOfOneTokenIsRefusedAsTrlDoes() {
    double[] mask = {0, 1, 0};
    assertThrows(IllegalArgumentException.class,
        () -> Whitening.maskedVariance(new double[] {1, 2, 3}, mask, true));
    assertEquals(0.0, Whitening.maskedVariance(new double[] {1, 2, 3}, mask, false), 0.0);
    assertThrows(IllegalArgumentException.class,
        () -> Whitening.maskedMean(new double[] {1, 2}, new double[] {0, 0}));
    assertThrows(IllegalArgumentException.class,
        () -> Whitening.maskedMean(new double[] {1, 2}, new double[] {0.5, 1}));
  }
}
