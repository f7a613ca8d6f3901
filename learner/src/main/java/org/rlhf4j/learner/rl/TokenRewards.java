package org.rlhf4j.learner.rl;

/** Per-token RLHF rewards: −β·KL to the reference on each response token, the score on the last. */
public final class TokenRewards {
  private final KlEstimator estimator;
  private final double missingEosPenalty;
  private final boolean whitenRewards;

  /**
   * Batch means for metrics, over the rows that have at least one response token.
   *
   * @param kl summed per-token KL of a response, {@link PpoMetrics#OBJECTIVE_KL}
   * @param nonScoreReward {@code −β·Σ_t kl_t}, {@link PpoMetrics#OBJECTIVE_NON_SCORE_REWARD}
   * @param score after any missing-EOS penalty, {@link PpoMetrics#OBJECTIVE_SCORES}
   * @param rlhfReward score + non-score reward, {@link PpoMetrics#OBJECTIVE_RLHF_REWARD}
   */
  public record Totals(double kl, double nonScoreReward, double score, double rlhfReward) {}

  /**
   * Rewards with the per-token KL estimated by {@code estimator}; {@code missingEosPenalty} (≥ 0,
   * 0 = off) is subtracted from the score of a response that did not end with EOS, with the sign
   * of TRL's {@code missing_eos_penalty}; {@code whitenRewards} is TRL's {@code whiten_rewards}.
   */
  public TokenRewards(KlEstimator estimator, double missingEosPenalty, boolean whitenRewards) {
    if (estimator == null) {
      throw new IllegalArgumentException("KL estimator must not be null");
    }
    if (!(missingEosPenalty >= 0) || Double.isInfinite(missingEosPenalty)) {
      throw new IllegalArgumentException(
          "missing-EOS penalty must be finite and >= 0 (it is subtracted from the score), got "
              + missingEosPenalty);
    }
    this.estimator = estimator;
    this.missingEosPenalty = missingEosPenalty;
    this.whitenRewards = whitenRewards;
  }

  /** The per-token KL estimator. */
  public KlEstimator estimator() {
    return estimator;
  }

  /**
   * Each response's score less the missing-EOS penalty when it did not end with EOS: the score
   * {@link #compute} puts on the last token, and the sequence score GRPO and RLOO compare (they
   * never read the per-token rewards, so without this the penalty would not reach them, where
   * TRL's RLOO applies it). {@code out} may be {@code scores}.
   *
   * @param out (B)
   * @param scores the reward model's score per response (B)
   * @param endedWithEos whether each response ended with EOS (B); may be null when the penalty is 0
   */
  public void penalisedScores(double[] out, double[] scores, boolean[] endedWithEos) {
    if (scores == null || out == null || out.length != scores.length) {
      throw new IllegalArgumentException("penalised scores: out has "
          + (out == null ? "null" : out.length) + " values, scores "
          + (scores == null ? "null" : scores.length));
    }
    requireEosFlags(endedWithEos, scores.length);
    for (int row = 0; row < scores.length; row++) {
      out[row] = penalised(scores[row], endedWithEos, row);
    }
  }

  /**
   * Fills {@code rewards} with {@code −klCoef·kl_t} on real tokens, 0 on padding, and adds the
   * (penalised) score at each row's last real token; then, if enabled, whitens the rewards over all
   * real tokens without shifting their mean. {@code nonScoreRewards} gets each row's
   * {@code −klCoef·Σ_t kl_t}, taken before whitening. A row of padding only gets zeros and is left
   * out of the returned means; its score has no token to sit on.
   *
   * @param rewards out (B·T)
   * @param nonScoreRewards out (B)
   * @param logp behaviour log-probs of the sampled tokens under π (B·T)
   * @param logpRef log-probs of the same tokens under the reference π_ref (B·T)
   * @param scores the reward model's score per response (B)
   * @param endedWithEos whether each response ended with EOS (B); may be null when the penalty is 0
   * @param mask 1 for a real response token, 0 for padding (B·T)
   * @param klCoef β, usually {@link KlController#value()}
   */
  public Totals compute(double[] rewards, double[] nonScoreRewards, BatchShape shape,
      double[] logp, double[] logpRef, double[] scores, boolean[] endedWithEos, double[] mask,
      double klCoef) {
    shape.requireTokens("rewards", rewards);
    shape.requireRows("nonScoreRewards", nonScoreRewards);
    shape.requireTokens("logp", logp);
    shape.requireTokens("logpRef", logpRef);
    shape.requireRows("scores", scores);
    int realTokens = shape.requireMask(mask);
    requireEosFlags(endedWithEos, shape.b());
    if (!Double.isFinite(klCoef)) {
      throw new IllegalArgumentException("KL coefficient must be finite, got " + klCoef);
    }
    if (whitenRewards && realTokens < 2) {
      throw new IllegalArgumentException(
          "whitening rewards needs at least two real tokens in the batch, got " + realTokens);
    }
    int t = shape.t();
    int rows = 0;
    double klSum = 0;
    double nonScoreSum = 0;
    double scoreSum = 0;
    for (int row = 0; row < shape.b(); row++) {
      // 1. per-token KL penalty
      double rowKl = 0;
      for (int i = row * t; i < row * t + t; i++) {
        if (mask[i] == 0.0) {
          rewards[i] = 0.0;
          continue;
        }
        double kl = estimator.value(logp[i], logpRef[i]);
        rowKl += kl;
        rewards[i] = -klCoef * kl;
      }
      nonScoreRewards[row] = -klCoef * rowKl;
      int last = shape.lastRealToken(mask, row);
      if (last < 0) {
        continue;
      }
      // 2. the sequence score, penalised when the response was cut off before EOS
      double score = penalised(scores[row], endedWithEos, row);
      rewards[row * t + last] += score;
      rows++;
      klSum += rowKl;
      nonScoreSum += nonScoreRewards[row];
      scoreSum += score;
    }
    // 3. optional whitening (TRL's shift_mean=False): unit variance, but the batch mean goes back
    //    in, because its level says how good the batch was and a zero mean would erase that
    if (whitenRewards) {
      Whitening.whiten(rewards, rewards, mask, false);
    }
    if (rows == 0) {
      return new Totals(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    return new Totals(klSum / rows, nonScoreSum / rows, scoreSum / rows,
        (scoreSum + nonScoreSum) / rows);
  }

  private double penalised(double score, boolean[] endedWithEos, int row) {
    return endedWithEos != null && !endedWithEos[row] ? score - missingEosPenalty : score;
  }

  private void requireEosFlags(boolean[] endedWithEos, int b) {
    if (endedWithEos != null && endedWithEos.length != b) {
      throw new IllegalArgumentException("endedWithEos has " + endedWithEos.length
          + " values; expected B = " + b);
    }
    if (endedWithEos == null && missingEosPenalty != 0) {
      throw new IllegalArgumentException("a missing-EOS penalty of " + missingEosPenalty
          + " is set, so endedWithEos must be given");
    }
  }
}
