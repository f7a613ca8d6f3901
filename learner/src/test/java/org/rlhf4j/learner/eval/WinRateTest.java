package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.eval.PolicySamples.Sample;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;
import org.rlhf4j.tasks.sentiment.Labeler;

class WinRateTest {
  private static final LetterTokenizer LETTERS = new LetterTokenizer("abc"); // EOS = 3
  private static final Labeler COUNT_A = text -> TinyModels.count(text, 'a');
  private static final double Z2 = 1.959963984540054 * 1.959963984540054;

  private static SamplingPlan plan(long seed) {
    return new SamplingPlan(new SamplingSettings(1.0, 0, 1.0, false, 6, new int[] {3}), 1, 100,
        seed);
  }

  @Test
  void aPolicyAgainstItselfWinsAboutHalfTheTime() {
    // independent draws from one distribution: by symmetry P(win) = P(loss), so the rate is 0.5
    PolicySnapshot policy = TinyModels.perturbed(TinyModels.policy(4, 1), 3, 0.3);
    List<int[]> prompts = TinyModels.prompts(400, 3, 5);
    List<Sample> mine = PolicySamples.draw(policy, prompts, LETTERS, plan(1)).samples();
    List<Sample> theirs = PolicySamples.draw(policy, prompts, LETTERS, plan(2)).samples();
    WinRate.Result r = WinRate.of(mine, theirs, COUNT_A, ScoredText.RESPONSE);
    assertEquals(400, r.wins() + r.ties() + r.losses());
    assertTrue(r.wins() > 50 && r.losses() > 50, "the labeler should separate responses: " + r);
    assertEquals(0.5, r.rate().mean(), 0.06);
    assertTrue(r.rate().contains(0.5), r.toString());
  }

  @Test
  void aPolicyRiggedToWriteOnlyAsBeatsOneThatWritesOnlyBsOnEveryPrompt() {
    // every response scores 3 more 'a's than the baseline's on the same prompt: 20 wins of 20,
    // rate 1 with the Wilson interval [20 / (20 + Z²), 1] = [0.8388748, 1]
    PolicySnapshot writesA = TinyModels.rigged(4, 0);
    PolicySnapshot writesB = TinyModels.rigged(4, 1);
    List<int[]> prompts = TinyModels.prompts(20, 3, 6);
    SamplingPlan three = new SamplingPlan(
        new SamplingSettings(1.0, 0, 1.0, false, 3, new int[] {3}), 1, 20, 1);
    List<Sample> mine = PolicySamples.draw(writesA, prompts, LETTERS, three).samples();
    List<Sample> theirs = PolicySamples.draw(writesB, prompts, LETTERS, three).samples();
    assertEquals("aaa", mine.get(0).responseText());
    assertEquals("bbb", theirs.get(0).responseText());
    WinRate.Result r = WinRate.of(mine, theirs, COUNT_A, ScoredText.PROMPT_AND_RESPONSE);
    assertEquals(new WinRate.Result(20, 0, 0, r.rate()), r);
    assertEquals(1.0, r.rate().mean());
    assertEquals(20 / (20 + Z2), r.rate().low(), 1e-12);
    assertEquals(0.8388748419471806, r.rate().low(), 1e-12);
    assertEquals(1.0, r.rate().high());
  }

  @Test
  void tiesCountAsHalfAWinInTheRateAndTheInterval() {
    // 'a' counts 2:1, 1:1, 0:2, 3:0, 1:0, 2:2, 1:0, 4:1, 0:1, 2:1 → 6 wins, 2 ties, 2 losses;
    // rate (6 + 2/2) / 10 = 0.7, with the Wilson interval of 7 in 10
    String[][] pairs = {{"aa", "a"}, {"ab", "a"}, {"bc", "aa"}, {"aaa", "b"}, {"a", "c"},
        {"aab", "baa"}, {"ca", "cc"}, {"aaaa", "a"}, {"b", "a"}, {"aca", "a"}};
    List<Sample> mine = new ArrayList<>();
    List<Sample> theirs = new ArrayList<>();
    for (int i = 0; i < pairs.length; i++) {
      mine.add(TinyModels.sample(LETTERS, i, "b", pairs[i][0]));
      theirs.add(TinyModels.sample(LETTERS, i, "b", pairs[i][1]));
    }
    WinRate.Result r = WinRate.of(mine, theirs, COUNT_A, ScoredText.RESPONSE);
    assertEquals(6, r.wins());
    assertEquals(2, r.ties());
    assertEquals(2, r.losses());
    assertEquals(0.7, r.rate().mean(), 1e-15);
    assertEquals(0.39677814746114537, r.rate().low(), 1e-12);
    assertEquals(0.8922087325936989, r.rate().high(), 1e-12);
  }

  @Test
  void responsesToDifferentPromptsAreNotCompared() {
    List<Sample> mine = List.of(TinyModels.sample(LETTERS, 0, "a", "b"));
    List<Sample> theirs = List.of(TinyModels.sample(LETTERS, 0, "b", "b"));
    assertThrows(IllegalArgumentException.class,
        () -> WinRate.of(mine, theirs, COUNT_A, ScoredText.RESPONSE));
    assertThrows(IllegalArgumentException.class,
        () -> WinRate.of(mine, List.of(), COUNT_A, ScoredText.RESPONSE));
  }

  @Test
  void aLabelerThatReturnsNaNIsReported() {
    List<Sample> one = List.of(TinyModels.sample(LETTERS, 0, "a", "b"));
    assertThrows(IllegalArgumentException.class,
        () -> WinRate.of(one, one, text -> Double.NaN, ScoredText.RESPONSE));
  }
}
