package org.rlhf4j.learner.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PpoMetricsTest {
  @Test
  void sampledEntropyIsMinusTheMeanLogProbOfRealTokens() {
    // two rows of three; the padding's log-prob must not count
    double[] logprobs = {Math.log(0.5), Math.log(0.25), -99, Math.log(0.125), -99, -99};
    double[] mask = {1, 1, 0, 1, 0, 0};
    // (ln 2 + ln 4 + ln 8) / 3 = 2 ln 2
    assertEquals(2 * Math.log(2), PpoMetrics.sampledEntropy(logprobs, mask), 1e-15);
    assertTrue(Double.isNaN(PpoMetrics.sampledEntropy(new double[2], new double[2])));
  }
}
