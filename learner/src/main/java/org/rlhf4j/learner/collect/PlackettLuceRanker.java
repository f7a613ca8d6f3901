package org.rlhf4j.learner.collect;

import java.util.SplittableRandom;
import org.rlhf4j.tasks.sentiment.SimulatedHuman;

/**
 * A simulated annotator's ranking by the Plackett–Luce model (Plackett 1975; Luce 1959), the
 * K-way Bradley–Terry model: the best response is drawn with probability
 * {@code exp(score_i / T) / Σ_j exp(score_j / T)} over the responses not yet ranked, removed, and
 * the draw repeated until one is left. For K = 2 this is {@link SimulatedHuman}'s choice,
 * {@code sigmoid((score_a − score_b) / T)}; a pair taken from a longer ranking is judged with the
 * noise of the whole ranking, as when InstructGPT's labelers ranked K responses at once.
 *
 * <p>The temperature T sets the noise: as T → 0 the ranking becomes {@link ScoreRanker}'s (up to
 * the order of exactly equal scores, which stays a fair draw); for T much larger than the spread of
 * the scores it becomes a uniformly random permutation.
 *
 * <p>Draws: prompt {@code i}'s K − 1 draws come from a {@link SplittableRandom} seeded with the
 * {@code (i + 1)}-th {@code nextLong()} of {@code new SplittableRandom(seed)}, so rankings are a
 * function of (seed, prompt position, scores) on any JVM, whatever the batching or thread.
 */
public final class PlackettLuceRanker implements Ranker {
  // SplittableRandom's golden gamma: seed + (i + 1)·γ, mixed, is the (i + 1)-th nextLong()
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private final double temperature;
  private final long seed;

  /**
   * A ranker with Plackett–Luce temperature {@code temperature} and draws seeded by {@code seed}.
   *
   * @throws IllegalArgumentException if {@code temperature} is not a finite number greater than 0
   */
  public PlackettLuceRanker(double temperature, long seed) {
    this.temperature = RankerChecks.temperature(temperature);
    this.seed = seed;
  }

  /** A ranker with {@code human}'s temperature and seed; score with {@code human.labeler()}. */
  public static PlackettLuceRanker of(SimulatedHuman human) {
    return new PlackettLuceRanker(human.temperature(), human.seed());
  }

  @Override
  public int[] rank(long prompt, double[] scores) {
    RankerChecks.scores(scores);
    SplittableRandom random = new SplittableRandom(
        new SplittableRandom(seed + prompt * GOLDEN_GAMMA).nextLong());
    int k = scores.length;
    int[] remaining = new int[k]; // (K) unranked responses, in sampling order
    for (int i = 0; i < k; i++) {
      remaining[i] = i;
    }
    int[] ranking = new int[k]; // (K)
    double[] weights = new double[k]; // (K)
    for (int place = 0; place < k - 1; place++) {
      int left = k - place;
      double total = weights(scores, remaining, left, weights);
      double u = random.nextDouble() * total;
      int pick = left - 1; // rounding can leave u just above the last cumulative weight
      for (int j = 0; j < left; j++) {
        u -= weights[j];
        if (u < 0) {
          pick = j;
          break;
        }
      }
      ranking[place] = remaining[pick];
      System.arraycopy(remaining, pick + 1, remaining, pick, left - pick - 1);
    }
    ranking[k - 1] = remaining[0];
    return ranking;
  }

  /**
   * The probability of each response being ranked first: {@code softmax(scores / T)}.
   *
   * @throws IllegalArgumentException if there are fewer than 2 scores, one is not finite, or the
   *     temperature is not a finite number greater than 0
   */
  public static double[] firstPlaceProbabilities(double[] scores, double temperature) {
    RankerChecks.scores(scores);
    RankerChecks.temperature(temperature);
    PlackettLuceRanker ranker = new PlackettLuceRanker(temperature, 0);
    int[] all = new int[scores.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    double[] p = new double[scores.length]; // (K)
    double total = ranker.weights(scores, all, all.length, p);
    for (int i = 0; i < p.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  /** The Plackett–Luce temperature, greater than 0. */
  public double temperature() {
    return temperature;
  }

  /** The seed of the draws. */
  public long seed() {
    return seed;
  }

  /**
   * Fills {@code out[0..n)} with {@code exp((score − max) / T)} of the first {@code n} responses
   * in {@code indices} and returns their sum; subtracting the max keeps every weight in (0, 1] and
   * the largest exactly 1, so the sum is never 0 even as T → 0.
   */
  private double weights(double[] scores, int[] indices, int n, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      max = Math.max(max, scores[indices[j]]);
    }
    double total = 0;
    for (int j = 0; j < n; j++) {
      out[j] = Math.exp((scores[indices[j]] - max) / temperature);
      total += out[j];
    }
    return total;
  }

  @Override
  public String toString() {
    return "PlackettLuceRanker[temperature=" + temperature + ", seed=" + seed + "]";
  }
}
