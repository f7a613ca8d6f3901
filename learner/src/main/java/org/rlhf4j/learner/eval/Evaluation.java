package org.rlhf4j.learner.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.tasks.sentiment.Labeler;

/**
 * Evaluates a policy on held-out prompts: gold reward, sequence KL to the reference, and when
 * configured the win rate against a baseline and the reward model's held-out accuracy.
 */
public final class Evaluation {
  /** Changes the baseline's seed, so a baseline equal to the policy does not redraw its samples. */
  private static final long BASELINE_SEED_SALT = 0x9E3779B97F4A7C15L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Tokenizer tokenizer;
  private final Labeler labeler;
  private final ScoredText scoredText;
  private final SamplingPlan plan;
  private final PolicySnapshot baseline; // or null
  private final SequenceScorer rewardModel; // or null
  private final List<PreferencePair> heldOut; // or null

  /** An evaluation of gold reward and KL; add comparisons with the {@code with…} methods. */
  public Evaluation(Tokenizer tokenizer, Labeler labeler, ScoredText scoredText,
      SamplingPlan plan) {
    this(tokenizer, labeler, scoredText, plan, null, null, null);
  }

  private Evaluation(Tokenizer tokenizer, Labeler labeler, ScoredText scoredText,
      SamplingPlan plan, PolicySnapshot baseline, SequenceScorer rewardModel,
      List<PreferencePair> heldOut) {
    this.tokenizer = tokenizer;
    this.labeler = labeler;
    this.scoredText = scoredText;
    this.plan = plan;
    this.baseline = baseline;
    this.rewardModel = rewardModel;
    this.heldOut = heldOut;
  }

  /** This evaluation, also reporting the win rate against {@code baseline} (e.g. the SFT model). */
  public Evaluation withBaseline(PolicySnapshot baseline) {
    return new Evaluation(tokenizer, labeler, scoredText, plan, baseline, rewardModel, heldOut);
  }

  /** This evaluation, also reporting {@code scorer}'s accuracy on the {@code heldOut} pairs. */
  public Evaluation withRewardModel(SequenceScorer scorer, List<PreferencePair> heldOut) {
    return new Evaluation(tokenizer, labeler, scoredText, plan, baseline, scorer,
        List.copyOf(heldOut));
  }

  /** Samples from {@code policy} on {@code prompts} and reports every configured measure. */
  public Report run(PolicySnapshot policy, PolicySnapshot reference, List<int[]> prompts) {
    // 1. K responses per prompt from the policy
    PolicySamples samples = PolicySamples.draw(policy, prompts, tokenizer, plan);
    // 2. gold reward and 3. KL to the reference, over all K·P samples
    MeanInterval gold = GoldReward.of(samples.samples(), labeler, scoredText);
    MeanInterval kl = SequenceKl.estimate(samples, reference);
    // 4. one policy and one baseline response per prompt, judged by the labeler
    Optional<WinRate.Result> winRate = Optional.ofNullable(baseline).map(b -> {
      SamplingPlan single = plan.withPerPrompt(1).withSeed(plan.seed() ^ BASELINE_SEED_SALT);
      PolicySamples theirs = PolicySamples.draw(b, prompts, tokenizer, single);
      return WinRate.of(samples.firstPerPrompt(), theirs.samples(), labeler, scoredText);
    });
    // 5. the reward model on held-out comparisons (independent of the policy)
    Optional<RewardModelAccuracy.Result> accuracy = Optional.ofNullable(rewardModel)
        .map(scorer -> RewardModelAccuracy.of(heldOut, scorer));
    return new Report(prompts.size(), gold, kl, winRate, accuracy);
  }

  /**
   * What {@link #run} measured: gold reward and KL over all samples, and the win rate and
   * reward-model accuracy when they were configured.
   */
  public record Report(int prompts, MeanInterval goldReward, MeanInterval kl,
      Optional<WinRate.Result> winRate, Optional<RewardModelAccuracy.Result> rewardModelAccuracy) {

    /**
     * One flat JSON object with snake_case keys: {@code prompts}, {@code samples},
     * {@code gold_reward}, {@code kl}, {@code win_rate} (with {@code win_rate_wins},
     * {@code _ties}, {@code _losses}), {@code rm_accuracy} (with {@code rm_pairs}), each estimate
     * followed by its {@code _ci_low} and {@code _ci_high}. Measures not configured are left out;
     * an undefined bound (one sample) is {@code null}.
     */
    public String toJson() {
      ObjectNode json = JSON.createObjectNode();
      json.put("prompts", prompts);
      json.put("samples", goldReward.count());
      put(json, "gold_reward", goldReward);
      put(json, "kl", kl);
      winRate.ifPresent(w -> {
        put(json, "win_rate", w.rate());
        json.put("win_rate_wins", w.wins());
        json.put("win_rate_ties", w.ties());
        json.put("win_rate_losses", w.losses());
      });
      rewardModelAccuracy.ifPresent(a -> {
        put(json, "rm_accuracy", a.accuracy());
        json.put("rm_pairs", a.pairs());
      });
      try {
        return JSON.writeValueAsString(json);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a tree of numbers always serializes", e);
      }
    }

    private static void put(ObjectNode json, String key, MeanInterval value) {
      number(json, key, value.mean());
      number(json, key + "_ci_low", value.low());
      number(json, key + "_ci_high", value.high());
    }

    private static void number(ObjectNode json, String key, double value) {
      // JSON has no NaN: an undefined bound is null rather than a string a plot would misread
      if (Double.isFinite(value)) {
        json.put(key, value);
      } else {
        json.putNull(key);
      }
    }
  }
}
