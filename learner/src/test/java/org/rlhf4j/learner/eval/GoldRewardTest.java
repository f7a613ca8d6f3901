package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.eval.PolicySamples.Sample;
import org.rlhf4j.tasks.sentiment.Labeler;

class GoldRewardTest {
  private static final LetterTokenizer LETTERS = new LetterTokenizer("abc");
  private static final Labeler COUNT_A = text -> TinyModels.count(text, 'a');
  private static final List<Sample> SAMPLES = List.of(
      TinyModels.sample(LETTERS, 0, "ab", "aa"),
      TinyModels.sample(LETTERS, 1, "c", "ab"),
      TinyModels.sample(LETTERS, 2, "aaa", "bc"));

  @Test
  void theLabelerReadsPromptAndResponseOrTheResponseAlone() {
    assertArrayEquals(new double[] {3, 1, 3},
        GoldReward.scores(SAMPLES, COUNT_A, ScoredText.PROMPT_AND_RESPONSE));
    assertArrayEquals(new double[] {2, 1, 0},
        GoldReward.scores(SAMPLES, COUNT_A, ScoredText.RESPONSE));
  }

  @Test
  void goldRewardIsTheMeanScoreWithItsInterval() {
    // scores 2, 1, 0: mean 1, s = 1, half-width Z / √3 = 1.1315857
    MeanInterval m = GoldReward.of(SAMPLES, COUNT_A, ScoredText.RESPONSE);
    assertEquals(1.0, m.mean(), 1e-15);
    assertEquals(1 - 1.959963984540054 / Math.sqrt(3), m.low(), 1e-12);
    assertEquals(1 + 1.1315857, m.high(), 1e-7);
    assertEquals(3, m.count());
  }
}
