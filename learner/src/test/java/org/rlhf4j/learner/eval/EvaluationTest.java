package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;
import org.rlhf4j.tasks.sentiment.Labeler;

class EvaluationTest {
  private static final LetterTokenizer LETTERS = new LetterTokenizer("abc"); // EOS = 3
  private static final Labeler COUNT_A = text -> TinyModels.count(text, 'a');
  private static final PolicySnapshot REFERENCE = TinyModels.policy(4, 1);
  private static final PolicySnapshot POLICY = TinyModels.perturbed(REFERENCE, 2, 0.5);
  private static final List<int[]> PROMPTS = TinyModels.prompts(30, 3, 3);
  private static final SamplingPlan PLAN = new SamplingPlan(
      new SamplingSettings(1.0, 0, 1.0, false, 4, new int[] {3}), 4, 50, 17);
  private static final Evaluation GOLD_AND_KL = new Evaluation(LETTERS, COUNT_A,
      ScoredText.PROMPT_AND_RESPONSE, PLAN);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aFullReportHasEveryMeasureUnderItsSnakeCaseKey() throws Exception {
    List<PreferencePair> heldOut = List.of(
        new PreferencePair(new int[] {0}, new int[] {0, 0}, new int[] {1}, 0),
        new PreferencePair(new int[] {1}, new int[] {2}, new int[] {0}, 0));
    SequenceScorer countA = (prompts, responses) -> responses.stream()
        .mapToDouble(r -> Arrays.stream(r).filter(t -> t == 0).count()).toArray();
    Evaluation.Report report = GOLD_AND_KL.withBaseline(REFERENCE)
        .withRewardModel(countA, heldOut).run(POLICY, REFERENCE, PROMPTS);

    JsonNode json = JSON.readTree(report.toJson());
    Set<String> expected = new TreeSet<>(Set.of("prompts", "samples",
        "gold_reward", "gold_reward_ci_low", "gold_reward_ci_high",
        "kl", "kl_ci_low", "kl_ci_high",
        "invalid_text", "invalid_text_ci_low", "invalid_text_ci_high", "distinct1", "distinct2",
        "real_words", "real_words_ci_low", "real_words_ci_high", "words", "sft_nll", "sft_nll_ci_low", "sft_nll_ci_high",
        "rm_score", "rm_score_ci_low", "rm_score_ci_high",
        "win_rate", "win_rate_ci_low", "win_rate_ci_high",
        "win_rate_wins", "win_rate_ties", "win_rate_losses",
        "baseline_invalid_text", "baseline_invalid_text_ci_low", "baseline_invalid_text_ci_high",
        "baseline_distinct1", "baseline_distinct2", "baseline_real_words",
        "baseline_real_words_ci_low", "baseline_real_words_ci_high", "text_quality",
        "rm_accuracy", "rm_accuracy_ci_low", "rm_accuracy_ci_high", "rm_pairs"));
    assertEquals(expected, keys(json));
    // letters without spaces are one word per completion
    assertTrue(json.get("words").asInt() > 0);
    assertEquals(30, json.get("prompts").asInt());
    assertEquals(120, json.get("samples").asInt());
    assertEquals(report.goldReward().orElseThrow().mean(), json.get("gold_reward").asDouble());
    assertEquals(report.textQuality().invalidText().mean(), json.get("invalid_text").asDouble());
    assertEquals(report.sftNll().mean(), json.get("sft_nll").asDouble());
    assertEquals(report.kl().low(), json.get("kl_ci_low").asDouble());
    assertEquals(report.kl().high(), json.get("kl_ci_high").asDouble());
    WinRate.Result win = report.winRate().orElseThrow();
    assertEquals(30, win.wins() + win.ties() + win.losses());
    assertEquals(win.rate().mean(), json.get("win_rate").asDouble());
    assertEquals(0.5, json.get("rm_accuracy").asDouble()); // the first pair right, the second not
    assertEquals(2, json.get("rm_pairs").asInt());
    assertTrue(report.kl().mean() > 0, "the perturbed policy should be away from the reference");
  }

  @Test
  void measuresThatWereNotConfiguredAreLeftOut() throws Exception {
    Evaluation.Report report = GOLD_AND_KL.run(POLICY, REFERENCE, PROMPTS);
    assertTrue(report.winRate().isEmpty());
    assertTrue(report.rewardModelAccuracy().isEmpty());
    assertTrue(report.baselineTextQuality().isEmpty());
    assertTrue(report.rewardModelScore().isEmpty());
    assertEquals(new TreeSet<>(Set.of("prompts", "samples", "gold_reward", "gold_reward_ci_low",
        "gold_reward_ci_high", "kl", "kl_ci_low", "kl_ci_high", "invalid_text",
        "invalid_text_ci_low", "invalid_text_ci_high", "distinct1", "distinct2", "real_words",
        "real_words_ci_low", "real_words_ci_high", "words", "sft_nll", "sft_nll_ci_low", "sft_nll_ci_high")),
        keys(JSON.readTree(report.toJson())));
  }

  @Test
  void withoutALabelerThereIsNoGoldRewardNorWinRateButTextQualityAndTheRewardModelsScore()
      throws Exception {
    SequenceScorer countA = (prompts, responses) -> responses.stream()
        .mapToDouble(r -> Arrays.stream(r).filter(t -> t == 0).count()).toArray();
    Evaluation.Report report = Evaluation.withoutLabeler(LETTERS, PLAN).withBaseline(REFERENCE)
        .withRewardModel(countA).run(POLICY, REFERENCE, PROMPTS);
    JsonNode json = JSON.readTree(report.toJson());
    assertTrue(report.goldReward().isEmpty() && report.winRate().isEmpty());
    assertFalse(json.has("gold_reward") || json.has("win_rate") || json.has("rm_accuracy"));
    for (String key : List.of("kl", "invalid_text", "distinct2", "sft_nll", "rm_score",
        "baseline_distinct2", "text_quality")) {
      assertTrue(json.has(key), key + " missing from " + json);
    }
    assertEquals(120, json.get("samples").asInt());
  }

  @Test
  void aPolicyThatWritesControlCharactersIsReportedAsDegradedText() throws Exception {
    // the second letter is ETX (U+0003); the rigged policy writes it nearly always, the baseline (near
    // uniform over a, ETX and EOS) ends a third of its completions at once, as empty valid text
    LetterTokenizer withEtx = new LetterTokenizer("a\u0003");
    PolicySnapshot etx = TinyModels.rigged(3, 1);
    Evaluation.Report report = Evaluation.withoutLabeler(withEtx,
        new SamplingPlan(new SamplingSettings(1.0, 0, 1.0, false, 4, new int[] {2}), 1, 50, 3))
        .withBaseline(TinyModels.policy(3, 1)).run(etx, TinyModels.policy(3, 1),
            TinyModels.prompts(30, 2, 3));
    assertEquals(1.0, report.textQuality().invalidText().mean());
    String verdict = report.textVerdict().orElseThrow();
    assertTrue(verdict.startsWith("degraded: invalid text 100.0% (baseline "), verdict);
    assertEquals(verdict, JSON.readTree(report.toJson()).get("text_quality").asText());
    Evaluation.Report same = Evaluation.withoutLabeler(withEtx,
        new SamplingPlan(new SamplingSettings(1.0, 0, 1.0, false, 4, new int[] {2}), 1, 50, 3))
        .withBaseline(etx).run(etx, etx, TinyModels.prompts(30, 2, 3));
    assertEquals(Evaluation.Report.TEXT_OK, same.textVerdict().orElseThrow());
  }

  @Test
  void aBaselineEqualToThePolicyIsJudgedOnItsOwnDraws() {
    // were the baseline sampled with the policy's seed, every comparison would be a tie
    WinRate.Result win = GOLD_AND_KL.withBaseline(POLICY).run(POLICY, REFERENCE, PROMPTS)
        .winRate().orElseThrow();
    assertTrue(win.ties() < 30, win.toString());
  }

  @Test
  void theKlOfThePolicyAgainstItselfIsReportedAsExactlyZero() {
    Evaluation.Report report = GOLD_AND_KL.run(POLICY, POLICY, PROMPTS);
    assertEquals(new MeanInterval(0, 0, 0, 120), report.kl());
  }

  @Test
  void aTopKPlanMeasuresTextOnItsOwnDrawsAndKlOnTheWholeDistribution() {
    // top-k = 1 always writes a prompt's most likely letters, top-k = 2 does not; the KL they
    // report is the models' own, from the same untruncated draw (it would throw on truncated ones)
    Evaluation.Report top1 = new Evaluation(LETTERS, COUNT_A, ScoredText.RESPONSE,
        withTopK(1)).run(POLICY, REFERENCE, PROMPTS);
    Evaluation.Report top2 = new Evaluation(LETTERS, COUNT_A, ScoredText.RESPONSE,
        withTopK(2)).run(POLICY, REFERENCE, PROMPTS);
    assertEquals(top1.kl(), top2.kl());
    assertTrue(top1.kl().mean() > 0, top1.kl().toString());
    assertFalse(top1.goldReward().equals(top2.goldReward()), "the text came from other draws");
    assertEquals(new MeanInterval(0, 0, 0, 120),
        new Evaluation(LETTERS, COUNT_A, ScoredText.RESPONSE, withTopK(1))
            .run(POLICY, POLICY, PROMPTS).kl());
  }

  private static SamplingPlan withTopK(int k) {
    return new SamplingPlan(new SamplingSettings(1.0, k, 1.0, false, 4, new int[] {3}), 4, 50, 17);
  }

  @Test
  void oneSampleReportsItsBoundsAsNull() throws Exception {
    Evaluation one = new Evaluation(LETTERS, COUNT_A, ScoredText.RESPONSE, PLAN.withPerPrompt(1));
    JsonNode json = JSON.readTree(one.run(POLICY, REFERENCE, PROMPTS.subList(0, 1)).toJson());
    assertTrue(json.get("gold_reward").isNumber());
    assertTrue(json.get("gold_reward_ci_low").isNull());
    assertTrue(json.get("kl_ci_high").isNull());
  }

  @Test
  void aFrontierPointCarriesTheReportsKlAndGoldReward() {
    Evaluation.Report report = GOLD_AND_KL.run(POLICY, REFERENCE, PROMPTS);
    FrontierPoint point = FrontierPoint.of("ppo beta=0.05", report);
    assertEquals("ppo beta=0.05", point.label());
    assertEquals(report.kl(), point.kl());
    assertEquals(report.goldReward().orElseThrow(), point.goldReward());
    assertFalse(point.kl().low() > point.kl().mean() || point.kl().mean() > point.kl().high());
  }

  private static Set<String> keys(JsonNode json) {
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    return new TreeSet<>(keys);
  }
}
