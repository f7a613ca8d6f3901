package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

class SequenceKlTest {
  private static final int VOCAB = 3;
  private static final int LENGTH = 2;
  private static final int[] PROMPT = {0, 1};
  private static final LetterTokenizer LETTERS = new LetterTokenizer("abc");
  private static final PolicySnapshot REFERENCE = TinyModels.policy(VOCAB, 1);
  private static final PolicySnapshot PERTURBED = TinyModels.perturbed(REFERENCE, 2, 0.5);

  private static SamplingPlan plan(double temperature, int samples) {
    return new SamplingPlan(new SamplingSettings(temperature, 0, 1.0, false, LENGTH, new int[0]),
        samples, 500, 11);
  }

  @Test
  void klOfAPolicyAgainstItselfIsExactlyZeroPerSample() {
    List<int[]> prompts = TinyModels.prompts(20, VOCAB, 4);
    PolicySamples samples = PolicySamples.draw(PERTURBED, prompts, LETTERS, plan(1.0, 3));
    PolicySnapshot copy = PolicySnapshot.freeze(PERTURBED.model(), PERTURBED.params(), 9);
    for (PolicySnapshot same : List.of(PERTURBED, copy)) {
      double[] kl = SequenceKl.perSample(samples, same);
      assertEquals(60, kl.length);
      for (double v : kl) {
        assertEquals(0.0, v, 0.0);
      }
    }
  }

  @Test
  void klOfAPerturbedPolicyIsPositiveAndMatchesTheExactKlOfAllNineSequences() {
    double exact = exactKl(PERTURBED, REFERENCE, 1.0);
    assertTrue(exact > 0.05, "the perturbation should move the policy visibly, got " + exact);
    PolicySamples samples = PolicySamples.draw(PERTURBED, List.of(PROMPT), LETTERS,
        plan(1.0, 4000));
    MeanInterval kl = SequenceKl.estimate(samples, REFERENCE);
    assertTrue(kl.low() > 0, "KL interval " + kl + " should lie above 0");
    assertTrue(kl.contains(exact), "exact KL " + exact + " outside the estimate " + kl);
  }

  @Test
  void atATemperatureTheKlIsThatOfTheTemperedDistributions() {
    double t = 0.6;
    double exact = exactKl(PERTURBED, REFERENCE, t);
    assertTrue(Math.abs(exact - exactKl(PERTURBED, REFERENCE, 1.0)) > 0.01,
        "the temperature should change the KL, or this test proves nothing");
    PolicySamples samples = PolicySamples.draw(PERTURBED, List.of(PROMPT), LETTERS,
        plan(t, 4000));
    MeanInterval kl = SequenceKl.estimate(samples, REFERENCE);
    assertTrue(kl.contains(exact), "exact KL " + exact + " outside the estimate " + kl);
  }

  @Test
  void samplesDrawnWithTopKTopPOrGreedyAreRefused() {
    for (SamplingSettings narrowed : List.of(
        new SamplingSettings(1.0, 2, 1.0, false, LENGTH, new int[0]),
        new SamplingSettings(1.0, 0, 0.9, false, LENGTH, new int[0]),
        new SamplingSettings(1.0, 0, 1.0, true, LENGTH, new int[0]))) {
      PolicySamples samples = PolicySamples.draw(PERTURBED, List.of(PROMPT), LETTERS,
          new SamplingPlan(narrowed, 2, 2, 1));
      assertThrows(IllegalArgumentException.class,
          () -> SequenceKl.perSample(samples, REFERENCE));
    }
  }

  /**
   * KL(π‖π_ref) = Σ_y π(y) (log π(y) − log π_ref(y)) over all VOCAB^LENGTH responses to PROMPT,
   * with sequence log-probs from the training forward at temperature {@code t}.
   */
  private static double exactKl(PolicySnapshot policy, PolicySnapshot reference, double t) {
    List<int[]> prompts = new ArrayList<>();
    List<int[]> responses = new ArrayList<>();
    for (int a = 0; a < VOCAB; a++) {
      for (int b = 0; b < VOCAB; b++) {
        prompts.add(PROMPT);
        responses.add(new int[] {a, b});
      }
    }
    ResponseBatch batch = ResponseBatch.of(prompts, responses, 16, 0);
    double[] logp = sequenceLogProbs(policy, batch, t);
    double[] logq = sequenceLogProbs(reference, batch, t);
    double total = 0;
    double kl = 0;
    for (int i = 0; i < logp.length; i++) {
      double p = Math.exp(logp[i]);
      total += p;
      kl += p * (logp[i] - logq[i]);
    }
    assertEquals(1.0, total, 1e-5, "the nine sequences should carry all the probability");
    return kl;
  }

  private static double[] sequenceLogProbs(PolicySnapshot model, ResponseBatch batch, double t) {
    return batch.perSequence(PolicyEvaluation.of(model.model(), model.params(), batch.tokens(),
        batch.targets(), t, false, false).logprobs(), false);
  }
}
