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

  @Test
  void narrowedDrawsOnAWholeVocabularyAreThoseOfAStableSortByLogit() {
    // 8,192 logits on a coarse grid, so many tie; the sampler's selection and keyed sort must
    // draw exactly the tokens the definition (a stable sort of every id) draws with the same
    // random numbers
    int vocab = 8192;
    SplittableRandom data = new SplittableRandom(3);
    TokenSampler sampler = new TokenSampler(vocab);
    for (SamplingSettings s : new SamplingSettings[] {
        new SamplingSettings(0.7, 50, 1.0, false, 1, new int[] {}),
        new SamplingSettings(1.0, 0, 0.9, false, 1, new int[] {}),
        new SamplingSettings(0.9, 40, 0.8, false, 1, new int[] {})}) {
      for (int row = 0; row < 200; row++) {
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
          logits[i] = Math.round(data.nextGaussian() * 8) / 4.0f;
        }
        long seed = data.nextLong();
        int expected = byDefinition(logits, s, new SplittableRandom(seed));
        assertEquals(expected, sampler.pick(logits, 0, s, new SplittableRandom(seed)).token(),
            "row " + row + " at top-k " + s.topK() + ", top-p " + s.topP());
      }
    }
  }

  /** Temperature, then a stable sort of all ids by logit, top-k with ties, top-p, one draw. */
  private static int byDefinition(float[] logits, SamplingSettings s, SplittableRandom rng) {
    int v = logits.length;
    float[] scaled = new float[v];
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      scaled[i] = logits[i] * (float) (1.0 / s.temperature());
      max = Math.max(max, scaled[i]);
    }
    double[] w = new double[v];
    for (int i = 0; i < v; i++) {
      w[i] = Math.exp(scaled[i] - max);
    }
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(scaled[b], scaled[a]));
    int keep = s.topK() > 0 ? Math.min(s.topK(), v) : v;
    while (keep < v && scaled[order[keep]] == scaled[order[keep - 1]]) {
      keep++;
    }
    double kept = 0;
    for (int i = 0; i < keep; i++) {
      kept += w[order[i]];
    }
    if (s.topP() < 1) {
      double cumulative = 0;
      int nucleus = 0;
      while (nucleus < keep) {
        cumulative += w[order[nucleus]] / kept;
        nucleus++;
        if (cumulative >= s.topP()) {
          break;
        }
      }
      keep = nucleus;
    }
    double mass = 0;
    for (int i = 0; i < keep; i++) {
      mass += w[order[i]];
    }
    double u = rng.nextDouble() * mass;
    for (int i = 0; i < keep; i++) {
      u -= w[order[i]];
      if (u < 0) {
        return order[i];
      }
    }
    return order[keep - 1];
  }
}
