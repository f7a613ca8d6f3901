package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.learner.eval.PolicySamples.Sample;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

class PolicySamplesTest {
  private static final LetterTokenizer LETTERS = new LetterTokenizer("abc"); // EOS = 3
  private static final PolicySnapshot POLICY = TinyModels.policy(4, 1);
  private static final List<int[]> PROMPTS = List.of(new int[] {0}, new int[] {1, 2},
      new int[] {2, 2, 0});

  private static SamplingPlan plan(double temperature, int perPrompt, int batchSize, long seed) {
    return new SamplingPlan(new SamplingSettings(temperature, 0, 1.0, false, 5, new int[] {3}),
        perPrompt, batchSize, seed);
  }

  @Test
  void samplesArePromptMajorWithKResponsesPerPrompt() {
    // a batch of 5 rows cuts through prompts: the order must not depend on it
    PolicySamples s = PolicySamples.draw(POLICY, PROMPTS, LETTERS, plan(1.0, 4, 5, 7));
    assertEquals(12, s.samples().size());
    for (int i = 0; i < 12; i++) {
      Sample sample = s.samples().get(i);
      assertEquals(i / 4, sample.prompt());
      assertArrayEquals(PROMPTS.get(i / 4), sample.response().promptIds());
    }
    List<Sample> first = s.firstPerPrompt();
    assertEquals(3, first.size());
    assertEquals(List.of(0, 1, 2), first.stream().map(Sample::prompt).toList());
    assertEquals(s.samples().get(4), first.get(1));
  }

  @Test
  void theSameSeedDrawsTheSameSamplesAndAnotherSeedOthers() {
    List<String> a = texts(PolicySamples.draw(POLICY, PROMPTS, LETTERS, plan(1.0, 4, 12, 7)));
    List<String> b = texts(PolicySamples.draw(POLICY, PROMPTS, LETTERS, plan(1.0, 4, 12, 7)));
    List<String> c = texts(PolicySamples.draw(POLICY, PROMPTS, LETTERS, plan(1.0, 4, 12, 8)));
    assertEquals(a, b);
    assertFalse(a.equals(c));
  }

  @Test
  void textIsDecodedWithoutSpecialTokens() {
    PolicySamples s = PolicySamples.draw(POLICY, PROMPTS, LETTERS, plan(1.0, 8, 24, 3));
    boolean sawEos = false;
    for (Sample sample : s.samples()) {
      int[] response = sample.response().responseIds();
      StringBuilder letters = new StringBuilder();
      for (int id : response) {
        if (id == LETTERS.eosId()) {
          sawEos = true;
        } else {
          letters.append("abc".charAt(id));
        }
      }
      assertEquals(letters.toString(), sample.responseText());
      String prompt = LETTERS.decode(sample.response().promptIds());
      assertEquals(prompt + letters, sample.text());
    }
    assertTrue(sawEos, "some response should have stopped at EOS, or the test proves nothing");
  }

  @Test
  void behaviourLogProbsAreTheTemperedLogProbsOfTheTrainingForward() {
    double t = 0.7;
    PolicySamples s = PolicySamples.draw(POLICY, PROMPTS, LETTERS, plan(t, 2, 6, 5));
    List<Sample> all = s.samples();
    ResponseBatch batch = ResponseBatch.of(all.stream().map(x -> x.response().promptIds()).toList(),
        all.stream().map(x -> x.response().responseIds()).toList(), 16, 0);
    double[] logp = PolicyEvaluation.of(POLICY.model(), POLICY.params(), batch.tokens(),
        batch.targets(), t, false, false).logprobs();
    for (int i = 0; i < all.size(); i++) {
      float[] behaviour = all.get(i).response().logprobs();
      for (int k = 0; k < behaviour.length; k++) {
        assertEquals(logp[batch.row(i, k)], behaviour[k], 1e-4, "sample " + i + " token " + k);
      }
    }
  }

  @Test
  void aPadIdOutsideTheModelsVocabularyIsRefused() {
    // a model of 2 tokens cannot embed the pad id 2 (the tokenizer's EOS)
    PolicySnapshot twoTokens = TinyModels.policy(2, 1);
    LetterTokenizer padsWithEos = new LetterTokenizer("ab", 2);
    assertThrows(IllegalArgumentException.class, () -> PolicySamples.draw(twoTokens,
        List.of(new int[] {0}), padsWithEos, plan(1.0, 1, 1, 1)));
  }

  private static List<String> texts(PolicySamples s) {
    return s.samples().stream().map(Sample::text).toList();
  }
}
