package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KlControllerTest {

  @Test
  void aFixedCoefficientNeverMoves() {
    KlController kl = KlController.fixed(0.05);
    kl.update(100.0, 1_000_000);
    kl.update(0.0, 1);
    assertEquals(0.05, kl.value(), 0.0);
    assertFalse(kl.isAdaptive());
  }

  @Test
  void theAdaptiveCoefficientRisesByAtMostTwentyPercentPerHorizonWhenKlIsAboveTarget() {
    KlController kl = KlController.adaptive(0.2, 6.0, 10_000);
    kl.update(7.5, 256);
    // error = 7.5/6 − 1 = 0.25, clipped to 0.2; β = 0.2 · (1 + 0.2 · 256/10000) = 0.2 · 1.00512
    assertEquals(0.201024, kl.value(), 1e-15);
    assertTrue(kl.isAdaptive());
  }

  @Test
  void theAdaptiveCoefficientFallsWhenKlIsBelowTargetAndUpdatesCompound() {
    KlController kl = KlController.adaptive(0.2, 6.0, 10_000);
    kl.update(5.4, 256);
    // error = 5.4/6 − 1 = −0.1; β = 0.2 · (1 − 0.1 · 256/10000) = 0.2 · 0.99744
    assertEquals(0.199488, kl.value(), 1e-15);
    kl.update(3.0, 256);
    // error = 3/6 − 1 = −0.5, clipped to −0.2; β = 0.199488 · (1 − 0.2 · 256/10000)
    assertEquals(0.199488 * 0.99488, kl.value(), 1e-15);
  }

  @Test
  void theAdaptiveCoefficientStaysPutAtTarget() {
    KlController kl = KlController.adaptive(0.1, 4.0, 100);
    kl.update(4.0, 64);
    assertEquals(0.1, kl.value(), 0.0);
  }

  @Test
  void nonsenseSettingsAndMeasurementsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> KlController.fixed(-0.1));
    assertThrows(IllegalArgumentException.class, () -> KlController.adaptive(0.1, 0.0, 100));
    assertThrows(IllegalArgumentException.class, () -> KlController.adaptive(0.1, 6.0, 0));
    KlController kl = KlController.adaptive(0.1, 6.0, 100);
    assertThrows(IllegalArgumentException.class, () -> kl.update(Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> kl.update(1.0, -1));
    assertEquals(0.1, kl.value(), 0.0);
  }
}
