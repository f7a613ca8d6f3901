package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

class ReferenceNllTest {
  private static final int VOCAB = 4;
  private static final LetterTokenizer LETTERS = new LetterTokenizer("abc"); // EOS = 3

  /**
   * A model whose every logit is 0 (ln_f's weight and bias 0, so every final state is 0): the
   * uniform distribution, so each token's NLL is ln 4 = 1.3862943611198906 by hand.
   */
  private static PolicySnapshot uniform() {
    Gpt gpt = TinyModels.gpt(VOCAB);
    ParameterStore params = gpt.initialParameters(1, DataType.FLOAT);
    params.get("ln_f.weight").assign(0);
    params.get("ln_f.bias").assign(0);
    return new PolicySnapshot(gpt, params, 0);
  }

  private static PolicySamples samples(PolicySnapshot policy, double temperature) {
    SamplingPlan plan = new SamplingPlan(new SamplingSettings(temperature, 0, 1.0, false, 3,
        new int[] {3}), 2, 8, 5);
    return PolicySamples.draw(policy, TinyModels.prompts(6, 3, 2), LETTERS, plan);
  }

  @Test
  void aUniformReferenceGivesLnOfTheVocabularyPerTokenWhateverTheSamples() {
    PolicySamples samples = samples(TinyModels.perturbed(TinyModels.policy(VOCAB, 1), 2, 0.5),
        1.0);
    MeanInterval nll = ReferenceNll.estimate(samples, uniform());
    assertEquals(Math.log(4), nll.mean(), 1e-6);
    // every token's NLL is the same, so no residual is left and the interval is a point
    assertEquals(Math.log(4), nll.low(), 1e-6);
    assertEquals(Math.log(4), nll.high(), 1e-6);
    double[] perSample = ReferenceNll.perSample(samples, uniform());
    for (int i = 0; i < perSample.length; i++) {
      int length = samples.samples().get(i).response().responseIds().length;
      assertEquals(length * Math.log(4), perSample[i], 1e-5);
    }
    int tokens = samples.samples().stream()
        .mapToInt(s -> s.response().responseIds().length).sum();
    assertEquals(tokens, nll.count());
  }

  @Test
  void theNllIsAtTemperatureOneWhateverTheSamplesWereDrawnWith() {
    // the rigged model writes 'b' (id 1) with logit 20 against 0 for the other three tokens
    PolicySnapshot rigged = TinyModels.rigged(VOCAB, 1);
    PolicySamples samples = samples(rigged, 0.5);
    assertTrue(samples.samples().stream().allMatch(s -> List.of(1, 1, 1).equals(
        java.util.Arrays.stream(s.response().responseIds()).boxed().toList())));
    // −log(e²⁰ / (e²⁰ + 3)) = log(1 + 3e⁻²⁰) ≈ 6.18e-9 at T = 1 (at T = 0.5 it would be ~1e-17)
    assertEquals(Math.log1p(3 * Math.exp(-20)), ReferenceNll.estimate(samples, rigged).mean(),
        1e-7);
    assertEquals(Math.log(4), ReferenceNll.estimate(samples, uniform()).mean(), 1e-6);
  }
}
