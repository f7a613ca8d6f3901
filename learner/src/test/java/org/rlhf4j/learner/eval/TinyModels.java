package org.rlhf4j.learner.eval;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.learner.eval.PolicySamples.Sample;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.rollout.FinishReason;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;

/** Tiny policies (context 16, d 16, 1 layer, 2 heads) and hand-made samples for the eval tests. */
final class TinyModels {
  private TinyModels() {}

  static Gpt gpt(int vocab) {
    return new Gpt(new ModelConfig(vocab, 16, 16, 1, 2, 1e-5), EnumSet.noneOf(Head.class),
        new VectorKernels());
  }

  /** A GPT-2-initialised policy: nearly uniform over the vocabulary. */
  static PolicySnapshot policy(int vocab, long seed) {
    Gpt gpt = gpt(vocab);
    return new PolicySnapshot(gpt, gpt.initialParameters(seed, DataType.FLOAT), 0);
  }

  /** {@code base} with Gaussian noise of standard deviation {@code scale} on every weight. */
  static PolicySnapshot perturbed(PolicySnapshot base, long seed, double scale) {
    ParameterStore params = base.params().copy();
    SplittableRandom rng = new SplittableRandom(seed);
    float[] noise = new float[(int) params.flat().length()];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (float) (scale * gaussian(rng));
    }
    params.flat().addi(Nd4j.createFromArray(noise));
    return new PolicySnapshot(base.model(), params, 1);
  }

  /**
   * A policy that writes {@code token} with probability ≈ 1 − 2·10⁻⁹ whatever it reads: ln_f's
   * weight is 0, so every position's final state is ln_f's bias e₀, and only {@code token}'s
   * embedding has a non-zero (20) first coordinate, so its logit is 20 and every other logit 0.
   */
  static PolicySnapshot rigged(int vocab, int token) {
    Gpt gpt = gpt(vocab);
    ParameterStore params = gpt.initialParameters(1, DataType.FLOAT);
    params.get("ln_f.weight").assign(0);
    params.get("ln_f.bias").assign(0).putScalar(0, 1);
    params.get("wte.weight").assign(0).putScalar(new long[] {token, 0}, 20);
    return new PolicySnapshot(gpt, params, 0);
  }

  /** {@code count} prompts of 1–3 random letters from {@code alphabet} (ids 0 .. alphabet − 1). */
  static List<int[]> prompts(int count, int alphabet, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<int[]> prompts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int[] p = new int[1 + rng.nextInt(3)];
      for (int k = 0; k < p.length; k++) {
        p[k] = rng.nextInt(alphabet);
      }
      prompts.add(p);
    }
    return prompts;
  }

  /** A hand-made sample of prompt number {@code prompt}, texts in {@code tokenizer}'s letters. */
  static Sample sample(LetterTokenizer tokenizer, int prompt, String promptText,
      String responseText) {
    int[] response = tokenizer.encode(responseText);
    return new Sample(prompt, new Response(tokenizer.encode(promptText), response,
        new float[response.length], FinishReason.LENGTH, 0), promptText + responseText,
        responseText);
  }

  /** A labeler's view of a text: how many times {@code letter} occurs. */
  static double count(String text, char letter) {
    return text.chars().filter(c -> c == letter).count();
  }

  private static double gaussian(SplittableRandom rng) {
    // Box–Muller: SplittableRandom has no nextGaussian on Java 17
    double radius = Math.sqrt(-2 * Math.log(1 - rng.nextDouble()));
    return radius * Math.cos(2 * Math.PI * rng.nextDouble());
  }
}
