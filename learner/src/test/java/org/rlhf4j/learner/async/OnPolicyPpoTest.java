package org.rlhf4j.learner.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rlhf4j.learner.async.PpoLearner.Outcome;
import org.rlhf4j.learner.async.TinySetup.Rig;
import org.rlhf4j.learner.rl.PpoMetrics;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.GenerationEngine;

/**
 * PPO as {@code rlhf4j ppo --sync} runs it: max-lag 0, each round's rollouts sampled from the
 * learner's current version, scored against the frozen reward model and reference, and offered
 * until the batch trains. Each test starts from the same weights (TinySetup) and fixed seeds.
 */
class OnPolicyPpoTest {
  private static final int ROUNDS = 24;
  private static final int SAMPLES_PER_PROMPT = 4; // 4 prompts × 4 = one batch of 16

  /**
   * The rig a run trained, the score of each round, and the separate critic's weights before the
   * first round (null without one).
   */
  private record Run(Rig rig, List<Double> scores, ParameterStore initialCritic) {}

  /**
   * Runs {@code rounds} on-policy rounds of batch 16 (4 prompts × 4 samples, one prompt id per
   * prompt per round) with the {@code rlhf4j.ppo} {@code overrides}; checks after every round that
   * it trained, its approximate KL is finite and the reference and reward model stayed frozen.
   */
  private static Run onPolicy(String overrides, int rounds) {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 16, " + overrides), 0, 7);
    PpoLearner learner = rig.learner();
    String referenceSha = rig.reference().params().sha256();
    String rewardSha = rig.reward().params().sha256();
    ParameterStore initialCritic = rig.critic() == null ? null : rig.critic().copy();
    GenerationEngine engine = new GenerationEngine(7, TinySetup.PAD);
    List<Double> scores = new ArrayList<>();
    int perRound = TinySetup.PROMPTS.size() * SAMPLES_PER_PROMPT;
    for (int round = 0; round < rounds; round++) {
      List<ScoredRollout> batch = TinySetup.sampleAndScore(rig, engine, learner.snapshot(),
          TinySetup.PROMPTS, SAMPLES_PER_PROMPT, 1 + (long) round * perRound,
          1 + (long) round * TinySetup.PROMPTS.size(), "w");
      Outcome last = null;
      for (ScoredRollout m : batch) {
        last = learner.offer(m);
      }
      assertEquals(Outcome.TRAINED, last, "round " + round + ": " + learner.ledger());
      assertEquals(round + 1, learner.version());
      Map<String, Double> metrics = learner.lastRound();
      assertEquals(0.0, metrics.get(PpoLearner.LAG_MAX), "an on-policy round trained on a stale "
          + "rollout");
      assertTrue(Double.isFinite(metrics.get(PpoMetrics.POLICY_APPROXKL_AVG)), metrics.toString());
      scores.add(metrics.get(PpoMetrics.OBJECTIVE_SCORES));
    }
    assertEquals(referenceSha, rig.reference().params().sha256(), "the reference moved");
    assertEquals(rewardSha, rig.reward().params().sha256(), "the reward model moved");
    return new Run(rig, scores, initialCritic);
  }

  private static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  /** The mean score of the last 4 rounds beats that of the first 4 by more than 0.3. */
  private static void assertTheScoreRose(String what, List<Double> scores) {
    double first = mean(scores.subList(0, 4));
    double last = mean(scores.subList(scores.size() - 4, scores.size()));
    System.out.printf("on-policy ppo %s scores: first %.3f last %.3f%n", what, first, last);
    assertTrue(last > first + 0.3, what + " " + scores);
  }

  private static void assertEveryTensorChanged(String what, ParameterStore before,
      ParameterStore after) {
    for (ParameterSpec s : after.layout().specs()) {
      assertNotEquals(before.get(s.name()), after.get(s.name()), what + " " + s.name()
          + " did not change");
    }
  }

  @Test
  void ppoWithASeparateCriticRaisesTheRewardModelsScore() {
    Run run = onPolicy("critic = separate", ROUNDS);
    assertTheScoreRose("gae/separate", run.scores());
    assertEveryTensorChanged("policy", run.rig().reference().params(),
        run.rig().learner().policyParams());
    assertEveryTensorChanged("critic", run.initialCritic(), run.rig().critic());
  }

  @Test
  void ppoWithAValueHeadOnThePolicyRaisesTheScore() {
    Run run = onPolicy("critic = value-head", ROUNDS);
    assertTheScoreRose("gae/value-head", run.scores());
    assertEveryTensorChanged("policy", run.rig().reference().params(),
        run.rig().learner().policyParams());
  }

  @Test
  void grpoAndRlooRaiseTheScoreWithoutACritic() {
    for (String advantage : List.of("grpo", "rloo")) {
      Run run = onPolicy("advantage = " + advantage, ROUNDS);
      assertTheScoreRose(advantage, run.scores());
      assertEveryTensorChanged(advantage + " policy", run.rig().reference().params(),
          run.rig().learner().policyParams());
    }
  }

  @Test
  void earlyStopOnApproximateKlEndsTheRoundAfterTheUpdateThatCrossedIt() {
    // one minibatch per epoch: epoch 0's update starts from the sampling policy (approximate KL
    // 0), epoch 1's from the policy epoch 0 made, whose KL crosses the threshold
    Run stopped = onPolicy("epochs = 4, minibatches = 1, early-stop-kl = 1e-9", 1);
    Run twoEpochs = onPolicy("epochs = 2, minibatches = 1", 1);
    assertEquals(1.0, stopped.rig().learner().lastRound().get(PpoLearner.EARLY_STOP_EPOCH),
        stopped.rig().learner().lastRound().toString());
    assertFalse(twoEpochs.rig().learner().lastRound().containsKey(PpoLearner.EARLY_STOP_EPOCH));
    assertEquals(twoEpochs.rig().learner().policyParams().sha256(),
        stopped.rig().learner().policyParams().sha256(),
        "the stopped round did not make exactly the two updates of a two-epoch round");
  }
}
