package org.rlhf4j.learner.preference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Expands best-first rankings of K completions into InstructGPT's K·(K−1)/2 pairs per prompt. */
public final class Rankings {
  private Rankings() {}

  /** How much each comparison counts in the reward-model loss. */
  public enum Weighting {
    /** Every pair weighs 1, so a prompt with K completions counts C(K,2) times (as in TRL). */
    PER_PAIR,
    /**
     * Every pair of a K-way ranking weighs 1/C(K,2), so each prompt counts once whatever its K:
     * InstructGPT (Ouyang et al., 2022, eq. 1) trains on all pairs of a prompt as one batch
     * element, because the pairs share completions and, counted separately, overfit the model.
     */
    PER_PROMPT
  }

  /** One comparison: completion {@code chosen} was ranked above completion {@code rejected}. */
  public record Pair(int chosen, int rejected) {}

  /**
   * The comparisons of many prompts, flattened into parallel arrays of length N (one entry per
   * pair); the arrays are shared, not copied.
   *
   * @param prompt the index of each pair's prompt in the list given to {@link #expand}
   * @param chosen the preferred completion's index within its prompt
   * @param rejected the other completion's index within its prompt
   * @param weight each pair's weight under the chosen {@link Weighting}
   */
  public record Comparisons(int[] prompt, int[] chosen, int[] rejected, double[] weight) {
    /** The number of pairs N. */
    public int size() {
      return prompt.length;
    }

    /** The chosen completions' scores, {@code scores[prompt][completion]} → one per pair. */
    public double[] chosenScores(double[][] scores) {
      return gather(scores, chosen);
    }

    /** The rejected completions' scores, {@code scores[prompt][completion]} → one per pair. */
    public double[] rejectedScores(double[][] scores) {
      return gather(scores, rejected);
    }

    /**
     * Adds per-pair gradients back onto the completions they came from; differentiates
     * {@code chosenScores(scores)[n] = scores[prompt[n]][chosen[n]]} (likewise for rejected), so
     * a completion in several pairs receives the sum.
     */
    public void addGradients(double[][] gradScores, double[] gradChosen,
        double[] gradRejected) {
      for (int n = 0; n < size(); n++) {
        gradScores[prompt[n]][chosen[n]] += gradChosen[n];
        gradScores[prompt[n]][rejected[n]] += gradRejected[n];
      }
    }

    private double[] gather(double[][] scores, int[] completion) {
      double[] out = new double[size()]; // (N,)
      for (int n = 0; n < size(); n++) {
        out[n] = scores[prompt[n]][completion[n]];
      }
      return out;
    }
  }

  /**
   * All K·(K−1)/2 pairs of one prompt's ranking, in rank order: (1st, 2nd), (1st, 3rd), …,
   * (1st, Kth), (2nd, 3rd), … .
   *
   * @param ranking the completion indices 0..K−1, each once, best first (K ≥ 2)
   */
  public static List<Pair> pairs(int[] ranking) {
    checkRanking(ranking);
    List<Pair> out = new ArrayList<>(choose2(ranking.length));
    for (int better = 0; better < ranking.length; better++) {
      for (int worse = better + 1; worse < ranking.length; worse++) {
        out.add(new Pair(ranking[better], ranking[worse]));
      }
    }
    return out;
  }

  /** The weight of each pair of a K-way ranking: 1, or 1/C(K,2) under PER_PROMPT. */
  public static double pairWeight(int k, Weighting weighting) {
    if (k < 2) {
      throw new IllegalArgumentException("a ranking needs at least 2 completions, got K = " + k);
    }
    return switch (weighting) {
      case PER_PAIR -> 1.0;
      case PER_PROMPT -> 1.0 / choose2(k);
    };
  }

  /** Expands every prompt's ranking (best first) and flattens the pairs in prompt order. */
  public static Comparisons expand(List<int[]> rankings, Weighting weighting) {
    int total = 0;
    for (int[] ranking : rankings) {
      checkRanking(ranking);
      total += choose2(ranking.length);
    }
    int[] prompt = new int[total]; // (N,)
    int[] chosen = new int[total]; // (N,)
    int[] rejected = new int[total]; // (N,)
    double[] weight = new double[total]; // (N,)
    int n = 0;
    for (int q = 0; q < rankings.size(); q++) {
      int[] ranking = rankings.get(q);
      double w = pairWeight(ranking.length, weighting);
      for (Pair pair : pairs(ranking)) {
        prompt[n] = q;
        chosen[n] = pair.chosen();
        rejected[n] = pair.rejected();
        weight[n] = w;
        n++;
      }
    }
    return new Comparisons(prompt, chosen, rejected, weight);
  }

  private static int choose2(int k) {
    return k * (k - 1) / 2;
  }

  private static void checkRanking(int[] ranking) {
    if (ranking == null || ranking.length < 2) {
      throw new IllegalArgumentException("a ranking needs at least 2 completions, got "
          + (ranking == null ? "null" : Arrays.toString(ranking)));
    }
    boolean[] seen = new boolean[ranking.length];
    for (int index : ranking) {
      if (index < 0 || index >= ranking.length || seen[index]) {
        throw new IllegalArgumentException("a ranking of " + ranking.length
            + " completions must hold each index 0.." + (ranking.length - 1) + " once, got "
            + Arrays.toString(ranking));
      }
      seen[index] = true;
    }
  }
}
