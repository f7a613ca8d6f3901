package org.rlhf4j.learner.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.FinishReason;
import org.rlhf4j.tasks.sentiment.EnglishWords;
import org.rlhf4j.tasks.sentiment.Labeler;

/**
 * Evaluates a policy on prompts: sequence KL to the reference (on samples of its own when the plan
 * uses top-k or top-p), text quality and the reference's NLL of the samples always; gold reward
 * when a task's labeler judges; and when configured the win rate against a baseline (with the
 * baseline's text quality beside the policy's), the reward model's mean score of the samples and
 * its held-out accuracy.
 */
public final class Evaluation {
  /** Changes the baseline's seed, so a baseline equal to the policy does not redraw its samples. */
  private static final long BASELINE_SEED_SALT = 0x9E3779B97F4A7C15L;
  /** Changes the seed of the untruncated draw that a top-k or top-p plan's KL estimate needs. */
  private static final long KL_SEED_SALT = 0x2545F4914F6CDD1DL;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Tokenizer tokenizer;
  private final Labeler labeler; // or null
  private final ScoredText scoredText;
  private final SamplingPlan plan;
  private final PolicySnapshot baseline; // or null
  private final SequenceScorer rewardModel; // or null
  private final List<PreferencePair> heldOut; // or null

  /** An evaluation of gold reward, KL and text quality; add the others with {@code with…}. */
  public Evaluation(Tokenizer tokenizer, Labeler labeler, ScoredText scoredText,
      SamplingPlan plan) {
    this(tokenizer, java.util.Objects.requireNonNull(labeler, "labeler"), scoredText, plan, null,
        null, null);
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

  /**
   * An evaluation without a gold labeler (prompts of the user's own, no task): KL, text quality
   * and the reference's NLL, plus what the {@code with…} methods add but the win rate, which
   * needs a judge.
   */
  public static Evaluation withoutLabeler(Tokenizer tokenizer, SamplingPlan plan) {
    return new Evaluation(tokenizer, null, ScoredText.RESPONSE, plan, null, null, null);
  }

  /**
   * This evaluation, also sampling {@code baseline} (e.g. the SFT model) once per prompt: its text
   * quality is reported beside the policy's, and with a labeler the win rate against it.
   */
  public Evaluation withBaseline(PolicySnapshot baseline) {
    return new Evaluation(tokenizer, labeler, scoredText, plan, baseline, rewardModel, heldOut);
  }

  /** This evaluation, also reporting {@code scorer}'s mean score of the policy's samples. */
  public Evaluation withRewardModel(SequenceScorer scorer) {
    return new Evaluation(tokenizer, labeler, scoredText, plan, baseline, scorer, null);
  }

  /**
   * This evaluation, also reporting {@code scorer}'s mean score of the samples and its accuracy on
   * the {@code heldOut} pairs.
   */
  public Evaluation withRewardModel(SequenceScorer scorer, List<PreferencePair> heldOut) {
    return new Evaluation(tokenizer, labeler, scoredText, plan, baseline, scorer,
        List.copyOf(heldOut));
  }

  /** Samples from {@code policy} on {@code prompts} and reports every configured measure. */
  public Report run(PolicySnapshot policy, PolicySnapshot reference, List<int[]> prompts) {
    // 1. K responses per prompt from the policy
    PolicySamples samples = PolicySamples.draw(policy, prompts, tokenizer, plan);
    // 2. gold reward, 3. KL to the reference and 4. text quality, over all K·P samples
    Optional<MeanInterval> gold = Optional.ofNullable(labeler)
        .map(l -> GoldReward.of(samples.samples(), l, scoredText));
    // KL is the models' own only on samples of the whole tempered distribution; a plan that cuts
    // the tail (as users sample: Hugging Face's generate keeps the top 50) draws those apart
    PolicySamples forKl = plan.truncates() ? PolicySamples.draw(policy, prompts, tokenizer,
        plan.untruncated().withSeed(plan.seed() ^ KL_SEED_SALT)) : samples;
    MeanInterval kl = SequenceKl.estimate(forKl, reference);
    TextQuality text = textQuality(samples);
    MeanInterval nll = ReferenceNll.estimate(samples, reference);
    // 5. one baseline response per prompt: its text quality, and the win rate by the labeler
    Optional<PolicySamples> theirs = Optional.ofNullable(baseline).map(b -> PolicySamples.draw(b,
        prompts, tokenizer, plan.withPerPrompt(1).withSeed(plan.seed() ^ BASELINE_SEED_SALT)));
    Optional<TextQuality> baselineText = theirs.map(this::textQuality);
    Optional<WinRate.Result> winRate = theirs.filter(t -> labeler != null)
        .map(t -> WinRate.of(samples.firstPerPrompt(), t.samples(), labeler, scoredText));
    // 6. the reward model: its score of the samples, and its accuracy on held-out comparisons
    // (independent of the policy)
    Optional<MeanInterval> rmScore = Optional.ofNullable(rewardModel)
        .map(scorer -> rewardModelScore(samples, scorer));
    Optional<RewardModelAccuracy.Result> accuracy = Optional.ofNullable(heldOut)
        .map(pairs -> RewardModelAccuracy.of(pairs, rewardModel));
    return new Report(prompts.size(), samples.samples().size(), gold, kl, text, nll, rmScore,
        winRate, baselineText, accuracy);
  }

  private TextQuality textQuality(PolicySamples samples) {
    List<TextQuality.Written> written = new ArrayList<>(samples.samples().size());
    for (PolicySamples.Sample sample : samples.samples()) {
      int[] ids = sample.response().responseIds();
      int[] prompt = sample.response().promptIds();
      written.add(new TextQuality.Written(tokenizer.bytes(ids, 0, ids.length),
          tokenizer.decode(prompt, 0, prompt.length, Tokenizer.Specials.SKIP),
          sample.response().finishReason() == FinishReason.LENGTH));
    }
    return TextQuality.ofWritten(written, EnglishWords.get());
  }

  private static MeanInterval rewardModelScore(PolicySamples samples, SequenceScorer scorer) {
    List<int[]> prompts = new ArrayList<>(samples.samples().size());
    List<int[]> responses = new ArrayList<>(samples.samples().size());
    for (PolicySamples.Sample sample : samples.samples()) {
      prompts.add(sample.response().promptIds());
      responses.add(sample.response().responseIds());
    }
    return Statistics.meanInterval(scorer.score(prompts, responses));
  }

  /**
   * What {@link #run} measured: KL, text quality and the reference's NLL over all samples, and
   * what was configured: gold reward (a labeler), the reward model's score and accuracy, the win
   * rate (a baseline and a labeler) and the baseline's text quality (a baseline).
   */
  public record Report(int prompts, int samples, Optional<MeanInterval> goldReward,
      MeanInterval kl, TextQuality textQuality, MeanInterval sftNll,
      Optional<MeanInterval> rewardModelScore, Optional<WinRate.Result> winRate,
      Optional<TextQuality> baselineTextQuality,
      Optional<RewardModelAccuracy.Result> rewardModelAccuracy) {

    /** Value of {@code text_quality} when no bound of {@link TextQuality#worseThan} is broken. */
    public static final String TEXT_OK = "ok";
    /** How {@code text_quality} starts when one is. */
    public static final String TEXT_DEGRADED = "degraded";

    /**
     * How the policy's text compares with the baseline's: {@value #TEXT_OK}, or
     * {@code "degraded: "} and the bounds it breaks; empty without a baseline.
     */
    public Optional<String> textVerdict() {
      return baselineTextQuality.map(b -> {
        List<String> problems = textQuality.worseThan(b);
        return problems.isEmpty() ? TEXT_OK : TEXT_DEGRADED + ": " + String.join("; ", problems);
      });
    }

    /**
     * One flat JSON object with snake_case keys: {@code prompts}, {@code samples},
     * {@code gold_reward}, {@code kl}, the text quality ({@code invalid_text}, {@code distinct1},
     * {@code distinct2}, {@code real_words}, {@code words}), {@code sft_nll} (the reference's NLL
     * per token), {@code rm_score}, {@code win_rate} (with {@code win_rate_wins}, {@code _ties},
     * {@code _losses}), the baseline's text quality ({@code baseline_invalid_text},
     * {@code baseline_distinct1}, {@code baseline_distinct2}, {@code baseline_real_words}) and
     * {@code text_quality} ({@link #textVerdict}), {@code rm_accuracy} (with {@code rm_pairs}),
     * each estimate that is a mean or a proportion followed by its {@code _ci_low} and
     * {@code _ci_high}. Measures not configured are left out; an undefined value or bound (one
     * sample, no words) is {@code null}.
     */
    public String toJson() {
      ObjectNode json = JSON.createObjectNode();
      json.put("prompts", prompts);
      json.put("samples", samples);
      goldReward.ifPresent(g -> put(json, "gold_reward", g));
      put(json, "kl", kl);
      putText(json, "", textQuality);
      json.put("words", textQuality.words());
      put(json, "sft_nll", sftNll);
      rewardModelScore.ifPresent(r -> put(json, "rm_score", r));
      winRate.ifPresent(w -> {
        put(json, "win_rate", w.rate());
        json.put("win_rate_wins", w.wins());
        json.put("win_rate_ties", w.ties());
        json.put("win_rate_losses", w.losses());
      });
      baselineTextQuality.ifPresent(b -> putText(json, "baseline_", b));
      textVerdict().ifPresent(v -> json.put("text_quality", v));
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

    private static void putText(ObjectNode json, String prefix, TextQuality t) {
      put(json, prefix + "invalid_text", t.invalidText());
      number(json, prefix + "distinct1", t.distinct1());
      number(json, prefix + "distinct2", t.distinct2());
      if (t.realWords().isPresent()) {
        put(json, prefix + "real_words", t.realWords().get());
      } else {
        json.putNull(prefix + "real_words");
        json.putNull(prefix + "real_words_ci_low");
        json.putNull(prefix + "real_words_ci_high");
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
