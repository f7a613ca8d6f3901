package org.rlhf4j.learner.collect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rlhf4j.tasks.sentiment.SimulatedHuman;

class RankersTest {

  @Test
  void theScoreRankerOrdersByScoreAndKeepsSamplingOrderOnTies() {
    assertArrayEquals(new int[] {3, 1, 0, 2},
        new ScoreRanker().rank(0, new double[] {0.5, 1, 0.5, 2}));
    assertArrayEquals(new int[] {0, 1, 2}, new ScoreRanker().rank(7, new double[] {1, 1, 1}));
  }

  @Test
  void withTwoResponsesPlackettLuceIsTheSimulatedHumansBradleyTerryChoice() {
    double[][] cases = {{0.3, -0.2, 0.1}, {-1, 1, 0.5}, {0.25, 0.25, 2}, {4, -3, 0.7}};
    for (double[] c : cases) {
      double[] p = PlackettLuceRanker.firstPlaceProbabilities(new double[] {c[0], c[1]}, c[2]);
      assertEquals(SimulatedHuman.preferenceProbability(c[0], c[1], c[2]), p[0], 1e-12);
      assertEquals(1 - p[0], p[1], 1e-12);
    }
    // and the draws follow it: a chosen-first frequency within 5 standard errors
    double expected = SimulatedHuman.preferenceProbability(0.3, -0.2, 0.4);
    PlackettLuceRanker ranker = new PlackettLuceRanker(0.4, 11);
    int n = 20_000;
    int first = 0;
    for (int q = 0; q < n; q++) {
      first += ranker.rank(q, new double[] {0.3, -0.2})[0] == 0 ? 1 : 0;
    }
    double bound = 5 * Math.sqrt(expected * (1 - expected) / n);
    System.out.printf("K=2 first-choice frequency %.4f, Bradley-Terry %.4f (bound %.4f)%n",
        (double) first / n, expected, bound);
    assertEquals(expected, (double) first / n, bound);
  }

  @Test
  void plackettLuceRankingsFollowTheSequentialSoftmaxProbabilities() {
    double[] scores = {0, 1, 2};
    double t = 1.5;
    PlackettLuceRanker ranker = new PlackettLuceRanker(t, 5);
    int n = 30_000;
    Map<String, Integer> counts = new HashMap<>();
    for (int q = 0; q < n; q++) {
      counts.merge(Arrays.toString(ranker.rank(q, scores)), 1, Integer::sum);
    }
    List<int[]> permutations = List.of(new int[] {0, 1, 2}, new int[] {0, 2, 1},
        new int[] {1, 0, 2}, new int[] {1, 2, 0}, new int[] {2, 0, 1}, new int[] {2, 1, 0});
    for (int[] perm : permutations) {
      double p = probability(perm, scores, t);
      double f = counts.getOrDefault(Arrays.toString(perm), 0) / (double) n;
      double bound = 5 * Math.sqrt(p * (1 - p) / n);
      System.out.printf("ranking %s: frequency %.4f, Plackett-Luce %.4f%n", Arrays.toString(perm),
          f, p);
      assertEquals(p, f, bound, "ranking " + Arrays.toString(perm));
    }
  }

  @Test
  void aPlackettLuceRankingIsAFunctionOfSeedPromptAndScores() {
    double[] scores = {0.1, 0.4, 0.2, 0.3};
    PlackettLuceRanker a = new PlackettLuceRanker(0.5, 3);
    PlackettLuceRanker b = new PlackettLuceRanker(0.5, 3);
    int[][] forward = new int[50][];
    for (int q = 0; q < 50; q++) {
      forward[q] = a.rank(q, scores);
    }
    for (int q = 49; q >= 0; q--) {
      assertArrayEquals(forward[q], b.rank(q, scores), "prompt " + q + " ranked in reverse order");
    }
    PlackettLuceRanker other = new PlackettLuceRanker(0.5, 4);
    boolean differs = false;
    for (int q = 0; q < 50; q++) {
      differs |= !Arrays.equals(forward[q], other.rank(q, scores));
    }
    assertTrue(differs, "another seed gave the same 50 rankings");
    assertTrue(Arrays.stream(forward).map(Arrays::toString).distinct().count() > 5,
        "prompts should draw from different streams");
  }

  @Test
  void atAVeryLowTemperaturePlackettLuceIsTheScoreOrderButEqualScoresStayAFairDraw() {
    PlackettLuceRanker cold = new PlackettLuceRanker(1e-12, 9);
    double[] distinct = {0.30, 0.30000001, -0.5, 0.9};
    int[] tied = new int[2];
    for (int q = 0; q < 200; q++) {
      assertArrayEquals(new ScoreRanker().rank(q, distinct), cold.rank(q, distinct));
      tied[cold.rank(q, new double[] {0.2, 0.2, -1})[0]]++;
    }
    assertTrue(tied[0] > 60 && tied[1] > 60, "tied first places " + Arrays.toString(tied));
  }

  @Test
  void badTemperaturesAndScoresAreRejectedWithWhatWasReceived() {
    for (double t : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new PlackettLuceRanker(t, 1));
      assertTrue(e.getMessage().contains(String.valueOf(t)), e.getMessage());
    }
    Ranker[] rankers = {new ScoreRanker(), new PlackettLuceRanker(1, 1)};
    for (Ranker r : rankers) {
      assertThrows(IllegalArgumentException.class, () -> r.rank(0, new double[] {1}));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> r.rank(0, new double[] {1, Double.NaN}));
      assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
  }

  /** The Plackett–Luce probability of {@code ranking}: a product of softmaxes over the rest. */
  private static double probability(int[] ranking, double[] scores, double t) {
    double p = 1;
    for (int place = 0; place < ranking.length - 1; place++) {
      double total = 0;
      for (int j = place; j < ranking.length; j++) {
        total += Math.exp(scores[ranking[j]] / t);
      }
      p *= Math.exp(scores[ranking[place]] / t) / total;
    }
    return p;
  }
}
