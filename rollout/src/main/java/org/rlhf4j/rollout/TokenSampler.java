package org.rlhf4j.rollout;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.rlhf4j.model.kernels.ExponentRow;

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
  private final float[] exps; // (V) e^(scaled − max)
  private final ExponentRow exponent = new ExponentRow();
  private final double[] weights; // (V) unnormalised probabilities of the allowed tokens
  private final long[] order; // (V) keys of the allowed tokens, for top-k and top-p
  private final float[] heap; // (V) the top-k selection's scratch
  private final int vocab;

  /** The token drawn and its log-prob. */
  record Pick(int token, float logprob) {}

  TokenSampler(int vocab) {
    this.vocab = vocab;
    this.scaled = new float[vocab];
    this.exps = new float[vocab];
    this.weights = new double[vocab];
    this.order = new long[vocab];
    this.heap = new float[vocab];
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
    // the vector exponential: Math.exp per token was 8% of GPT-2 small's generation. The total
    // is the double sum of the weights the draw subtracts one by one, so that its mass covers
    // every token (a float total fell 1e-6 short at 50,257 tokens: the last ids, EOS among
    // them, could not be drawn)
    exponent.expShifted(scaled, exps, vocab, max);
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      weights[i] = exps[i];
      sum += weights[i];
    }
    double logZ = max + Math.log(sum);
    int token = s.greedy() ? argmax : draw(s, rng, sum);
    return new Pick(token, (float) (scaled[token] - logZ));
  }

  private int draw(SamplingSettings s, SplittableRandom rng, double total) {
    boolean topK = s.topK() > 0 && s.topK() < vocab;
    if (!topK && s.topP() >= 1) {
      return inverseCdf(rng.nextDouble() * total);
    }
    // the allowed tokens in the order of a stable sort by logit, highest first: with top-k only
    // those at or above the k-th logit are sorted (ties with it stay in, as in Hugging Face's
    // TopKLogitsWarper); a full sort of boxed ids took 90% of a step at 8,192 tokens
    float threshold = topK ? kthLargest(s.topK()) : Float.NEGATIVE_INFINITY;
    int keep = 0;
    for (int i = 0; i < vocab; i++) {
      if (!topK || scaled[i] >= threshold) {
        order[keep++] = descendingKey(scaled[i], i);
      }
    }
    Arrays.sort(order, 0, keep);
    if (s.topP() < 1) {
      double kept = 0;
      for (int i = 0; i < keep; i++) {
        kept += weights[token(order[i])];
      }
      double cumulative = 0;
      int nucleus = 0;
      // the smallest prefix whose probability reaches top-p; the token that crosses it stays
      while (nucleus < keep) {
        cumulative += weights[token(order[nucleus])] / kept;
        nucleus++;
        if (cumulative >= s.topP()) {
          break;
        }
      }
      keep = nucleus;
    }
    double mass = 0;
    for (int i = 0; i < keep; i++) {
      mass += weights[token(order[i])];
    }
    double u = rng.nextDouble() * mass;
    for (int i = 0; i < keep; i++) {
      u -= weights[token(order[i])];
      if (u < 0) {
        return token(order[i]);
      }
    }
    return token(order[keep - 1]);
  }

  /**
   * A key whose ascending order is {@code value} descending, then {@code token} ascending: the
   * float's bits made monotone (as {@link Float#compare} orders them), inverted, above the id.
   */
  private static long descendingKey(float value, int token) {
    int bits = Float.floatToIntBits(value);
    int monotone = bits ^ ((bits >> 31) & 0x7fffffff);
    return ((long) ~monotone << 32) | token;
  }

  private static int token(long key) {
    return (int) key;
  }

  /** The k-th largest scaled logit: a min-heap of the k largest seen, in {@code heap}. */
  private float kthLargest(int k) {
    for (int i = 0; i < k; i++) {
      heap[i] = scaled[i];
    }
    for (int i = k / 2 - 1; i >= 0; i--) {
      siftDown(i, k);
    }
    for (int i = k; i < vocab; i++) {
      if (Float.compare(scaled[i], heap[0]) > 0) {
        heap[0] = scaled[i];
        siftDown(0, k);
      }
    }
    return heap[0];
  }

  private void siftDown(int i, int size) {
    float x = heap[i];
    while (2 * i + 1 < size) {
      int child = 2 * i + 1;
      if (child + 1 < size && Float.compare(heap[child + 1], heap[child]) < 0) {
        child++;
      }
      if (Float.compare(heap[child], x) >= 0) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = x;
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
