package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KlEstimatorTest {

  @Test
  void k1IsTheLogProbOfThePolicyMinusThatOfTheReference() {
    // logp − logpRef = −1 − (−1.5)
    assertEquals(0.5, KlEstimator.K1.value(-1.0, -1.5), 1e-15);
    assertEquals(-0.5, KlEstimator.K1.value(-1.5, -1.0), 1e-15);
  }

  @Test
  void k2IsHalfTheSquaredLogRatio() {
    // r = logpRef − logp = −1.5 − (−1) = −0.5, r²/2 = 0.125
    assertEquals(0.125, KlEstimator.K2.value(-1.0, -1.5), 1e-15);
    assertEquals(0.125, KlEstimator.K2.value(-1.5, -1.0), 1e-15);
  }

  @Test
  void k3IsExpOfTheLogRatioMinusOneMinusTheLogRatio() {
    // r = ln 2: (2 − 1) − ln 2
    assertEquals(1 - Math.log(2), KlEstimator.K3.value(-Math.log(4), -Math.log(2)), 1e-15);
    // r = −ln 2: (1/2 − 1) + ln 2
    assertEquals(Math.log(2) - 0.5, KlEstimator.K3.value(-Math.log(2), -Math.log(4)), 1e-15);
  }

  @Test
  void k3KeepsItsDigitsWhenThePoliciesAlmostAgree() {
    double logp = -1.0;
    double logpRef = -1.0 + 1e-9;
    double r = logpRef - logp;
    // e^r − 1 − r = r²/2 + r³/6 + …; computed as exp(r) − 1 − r it would be rounding noise
    assertEquals(r * r / 2 + r * r * r / 6, KlEstimator.K3.value(logp, logpRef), 1e-6 * r * r);
  }

  @Test
  void everyEstimatorIsZeroWhenThePoliciesAgree() {
    for (KlEstimator k : KlEstimator.values()) {
      assertEquals(0.0, k.value(-0.7, -0.7), 0.0, k.name());
    }
  }
}
