package org.rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {
  private static final float[] LOGITS = {2.0f, 1.0f, 0.0f, -1.0f, 1.0f};

  private static double[] softmax(float[] logits, double temperature) {
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(logits[i] / temperature);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  private static int[] counts(SamplingSettings s, int draws) {
    TokenSampler sampler = new TokenSampler(LOGITS.length);
    SplittableRandom rng = new SplittableRandom(17);
    int[] counts = new int[LOGITS.length];
    for (int i = 0; i < draws; i++) {
      counts[sampler.pick(LOGITS, 0, s, rng).token()]++;
    }
    return counts;
  }

  @Test
  void multinomialFrequenciesFollowTheTemperedSoftmax() {
    int draws = 200_000;
    double[] p = softmax(LOGITS, 0.5);
    int[] c = counts(new SamplingSettings(0.5, 0, 1.0, false, 1, new int[] {}), draws);
    for (int i = 0; i < p.length; i++) {
      double sd = Math.sqrt(draws * p[i] * (1 - p[i]));
      assertEquals(draws * p[i], c[i], 5 * sd + 1, "token " + i);
    }
  }

  @Test
  void topKDrawsOnlyFromTheKBestWithTiesKept() {
    // k = 2: token 0 (2.0) and the tie at 1.0 (tokens 1 and 4) stay in
    int[] c = counts(new SamplingSettings(1.0, 2, 1.0, false, 1, new int[] {}), 60_000);
    assertEquals(0, c[2]);
    assertEquals(0, c[3]);
    double e = Math.E;
    double p0 = e * e / (e * e + 2 * e);
    assertEquals(p0 * 60_000, c[0], 5 * Math.sqrt(60_000 * p0 * (1 - p0)));
  }

  @Test
  void topPKeepsTheSmallestPrefixThatReachesIt() {
    double[] p = softmax(LOGITS, 1.0); // 0.4785, 0.1760, 0.0648, 0.0238, 0.1760 (after sorting)
    // p0 + one of the 1.0s = 0.6545 >= 0.6, so exactly two tokens can be drawn
    int[] c = counts(new SamplingSettings(1.0, 0, 0.6, false, 1, new int[] {}), 40_000);
    assertEquals(0, c[2] + c[3]);
    assertEquals(40_000, c[0] + c[1] + c[4]);
    assertTrue(c[1] == 0 || c[4] == 0, "only one of the tied tokens is in the nucleus");
    assertTrue(p[0] < 0.6);
  }

  @Test
  void theLogProbIsOverTheWholeTemperedDistributionWhateverTheFilter() {
    TokenSampler sampler = new TokenSampler(LOGITS.length);
    double[] p = softmax(LOGITS, 0.7);
    TokenSampler.Pick pick = sampler.pick(LOGITS, 0,
        new SamplingSettings(0.7, 1, 1.0, false, 1, new int[] {}), new SplittableRandom(1));
    assertEquals(0, pick.token());
    assertEquals(Math.log(p[0]), pick.logprob(), 1e-6);
  }
}
