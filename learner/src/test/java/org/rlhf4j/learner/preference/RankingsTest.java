package org.rlhf4j.learner.preference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.preference.Rankings.Pair;
import org.rlhf4j.learner.preference.Rankings.Weighting;

class RankingsTest {
  @Test
  void threeRankedCompletionsGiveThreePairsInRankOrder() {
    assertEquals(List.of(new Pair(0, 1), new Pair(0, 2), new Pair(1, 2)),
        Rankings.pairs(new int[] {0, 1, 2}));
    // completion 2 best, then 0, then 1
    assertEquals(List.of(new Pair(2, 0), new Pair(2, 1), new Pair(0, 1)),
        Rankings.pairs(new int[] {2, 0, 1}));
  }

  @Test
  void fourRankedCompletionsGiveSixPairs() {
    // completion 3 best, then 1, 0, 2
    assertEquals(List.of(new Pair(3, 1), new Pair(3, 0), new Pair(3, 2), new Pair(1, 0),
        new Pair(1, 2), new Pair(0, 2)), Rankings.pairs(new int[] {3, 1, 0, 2}));
  }

  @Test
  void perPromptWeightIsOneOverKChooseTwo() {
    assertEquals(1 / 3.0, Rankings.pairWeight(3, Weighting.PER_PROMPT), 0.0);
    assertEquals(1 / 6.0, Rankings.pairWeight(4, Weighting.PER_PROMPT), 0.0);
    assertEquals(1.0, Rankings.pairWeight(2, Weighting.PER_PROMPT), 0.0);
    assertEquals(1.0, Rankings.pairWeight(4, Weighting.PER_PAIR), 0.0);
  }

  @Test
  void expandingSeveralPromptsFlattensTheirPairsInPromptOrder() {
    Rankings.Comparisons c = Rankings.expand(List.of(new int[] {1, 0}, new int[] {2, 0, 1}),
        Weighting.PER_PROMPT);
    assertEquals(1 + 3, c.size());
    assertArrayEquals(new int[] {0, 1, 1, 1}, c.prompt());
    assertArrayEquals(new int[] {1, 2, 2, 0}, c.chosen());
    assertArrayEquals(new int[] {0, 0, 1, 1}, c.rejected());
    assertArrayEquals(new double[] {1, 1 / 3.0, 1 / 3.0, 1 / 3.0}, c.weight(), 0.0);
    // each prompt's weights sum to 1, so each prompt counts once
    assertEquals(2.0, c.weight()[0] + c.weight()[1] + c.weight()[2] + c.weight()[3], 1e-15);
  }

  @Test
  void scoresAreGatheredPerPairAndGradientsSummedPerCompletion() {
    Rankings.Comparisons c = Rankings.expand(List.of(new int[] {2, 0, 1}), Weighting.PER_PAIR);
    double[][] scores = {{10, 11, 12}};
    assertArrayEquals(new double[] {12, 12, 10}, c.chosenScores(scores), 0.0);
    assertArrayEquals(new double[] {10, 11, 11}, c.rejectedScores(scores), 0.0);
    double[][] grad = {{100, 0, 0}}; // adds, does not overwrite
    c.addGradients(grad, new double[] {1, 2, 4}, new double[] {-8, -16, -32});
    // completion 0: chosen in pair 3 (+4), rejected in pair 1 (−8); 1: rejected twice;
    // 2: chosen twice
    assertArrayEquals(new double[] {100 + 4 - 8, -16 - 32, 1 + 2}, grad[0], 0.0);
  }

  @Test
  void aRankingThatIsNotAPermutationIsRejected() {
    IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class,
        () -> Rankings.pairs(new int[] {0, 0, 2}));
    assertEquals("a ranking of 3 completions must hold each index 0..2 once, got [0, 0, 2]",
        repeated.getMessage());
    IllegalArgumentException outOfRange = assertThrows(IllegalArgumentException.class,
        () -> Rankings.expand(List.of(new int[] {0, 1}, new int[] {0, 3, 1}), Weighting.PER_PAIR));
    assertEquals("a ranking of 3 completions must hold each index 0..2 once, got [0, 3, 1]",
        outOfRange.getMessage());
  }

  @Test
  void aRankingOfFewerThanTwoCompletionsIsRejected() {
    IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
        () -> Rankings.pairs(new int[] {0}));
    assertEquals("a ranking needs at least 2 completions, got [0]", one.getMessage());
    IllegalArgumentException weight = assertThrows(IllegalArgumentException.class,
        () -> Rankings.pairWeight(1, Weighting.PER_PROMPT));
    assertEquals("a ranking needs at least 2 completions, got K = 1", weight.getMessage());
  }
}
