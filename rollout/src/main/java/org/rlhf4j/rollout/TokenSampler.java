package org.rlhf4j.rollout;

import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits and reports its behaviour log-prob.
 *
 * <p>The log-prob is always {@code log softmax(logits / temperature)[token]} over the whole
 * vocabulary, as TRL computes it and as the learner recomputes it; top-k and top-p only narrow
 * where the token is drawn from (Hugging Face's order: temperature, then top-k, then top-p).
 * Scratch arrays are sized once for the vocabulary; nothing is allocated per token.
 */
final class TokenSampler {
  private final float[] scaled; // (V) logits / temperature
  private final double[] weights; // (V) unnormalised probabilities of the allowed tokens
  private final Integer[] order; // (V) token ids sorted by logit, for top-k and top-p
  private final int vocab;

  /** The token drawn and its log-prob. */
  record Pick(int token, float logprob) {}

  TokenSampler(int vocab) {
    this.vocab = vocab;
    this.scaled = new float[vocab];
    this.weights = new double[vocab];
    this.order = new Integer[vocab];
  }

  /** Samples from {@code logits[offset .. offset + V)} under {@code s}, drawing from {@code rng}. */
  Pick pick(float[] logits, int offset, SamplingSettings s, SplittableRandom rng) {
    float inv = (float) (1.0 / s.temperature());
    float max = Float.NEGATIVE_INFINITY;
    int argmax = 0;
    for (int i = 0; i < vocab; i++) {
      scaled[i] = logits[offset + i] * inv;
      if (scaled[i] > max) {
        max = scaled[i];
        argmax = i;
      }
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      weights[i] = Math.exp(scaled[i] - max);
      sum += weights[i];
    }
    double logZ = max + Math.log(sum);
    int token = s.greedy() ? argmax : draw(s, rng, sum);
    return new Pick(token, (float) (scaled[token] - logZ));
  }

  private int draw(SamplingSettings s, SplittableRandom rng, double total) {
    boolean narrowed = (s.topK() > 0 && s.topK() < vocab) || s.topP() < 1;
    if (!narrowed) {
      return inverseCdf(rng.nextDouble() * total);
    }
    for (int i = 0; i < vocab; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(scaled[b], scaled[a]));
    int keep = s.topK() > 0 ? Math.min(s.topK(), vocab) : vocab;
    // ties with the k-th logit stay in, as in Hugging Face's TopKLogitsWarper
    while (keep < vocab && scaled[order[keep]] == scaled[order[keep - 1]]) {
      keep++;
    }
    if (s.topP() < 1) {
      double kept = 0;
      for (int i = 0; i < keep; i++) {
        kept += weights[order[i]];
      }
      double cumulative = 0;
      int nucleus = 0;
      // the smallest prefix whose probability reaches top-p; the token that crosses it stays
      while (nucleus < keep) {
        cumulative += weights[order[nucleus]] / kept;
        nucleus++;
        if (cumulative >= s.topP()) {
          break;
        }
      }
      keep = nucleus;
    }
    double mass = 0;
    for (int i = 0; i < keep; i++) {
      mass += weights[order[i]];
    }
    double u = rng.nextDouble() * mass;
    for (int i = 0; i < keep; i++) {
      u -= weights[order[i]];
      if (u < 0) {
        return order[i];
      }
    }
    return order[keep - 1];
  }

  private int inverseCdf(double u) {
    for (int i = 0; i < vocab; i++) {
      u -= weights[i];
      if (u < 0) {
        return i;
      }
    }
    int last = vocab - 1;
    while (last > 0 && weights[last] == 0) {
      last--;
    }
    return last;
  }
}
