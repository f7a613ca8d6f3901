package org.rlhf4j.learner.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rlhf4j.learner.CriticThread;
import org.rlhf4j.learner.async.PpoLearner.Outcome;
import org.rlhf4j.learner.async.TinySetup.Rig;
import org.rlhf4j.learner.rl.PpoMetrics;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.protocol.pb.FinishReason;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;

class PpoLearnerTest {

  private static List<ScoredRollout> sample(Rig rig, GenerationEngine engine,
      PolicySnapshot policy, long firstId) {
    return TinySetup.sampleAndScore(rig, engine, policy, TinySetup.PROMPTS, 1, firstId, firstId,
        "w");
  }

  private static void offerAll(PpoLearner learner, List<ScoredRollout> messages,
      Outcome... expected) {
    for (int i = 0; i < messages.size(); i++) {
      assertEquals(expected[i], learner.offer(messages.get(i)), "message " + i);
    }
  }

  @Test
  void ledgerAccountsExactlyForShuffledDuplicatedAndStaleRolloutsFromSeveralVersions() {
    Rig rig = TinySetup.rig(TinySetup.ppo(""), 1, 7);
    PpoLearner learner = rig.learner();
    WorkerSimulation workers = new WorkerSimulation(rig, 11, new int[] {1, 3}, 1, 0.25, 0.2);
    Set<Long> seen = new HashSet<>();
    long received = 0;
    long duplicates = 0;
    long stale = 0;
    long admitted = 0;
    Set<Long> versionsSeen = new HashSet<>();
    for (int step = 0; step < 6; step++) {
      for (ScoredRollout m : workers.step(step)) {
        long v = m.getRollout().getPolicyVersion();
        versionsSeen.add(v);
        Outcome expected;
        if (!seen.add(m.getRollout().getRolloutId())) {
          duplicates++;
          expected = Outcome.DUPLICATE;
        } else if (learner.version() - v > 1) {
          stale++;
          expected = Outcome.STALE;
        } else {
          admitted++;
          expected = admitted % 8 == 0 ? Outcome.TRAINED : Outcome.BUFFERED;
        }
        received++;
        assertEquals(expected, learner.offer(m), "rollout " + m.getRollout().getRolloutId()
            + " of version " + v + " at learner version " + learner.version());
      }
    }
    Ledger ledger = learner.ledger();
    assertEquals(new Ledger(received, admitted / 8 * 8, stale, duplicates, 0, admitted % 8),
        ledger);
    assertEquals(admitted / 8, learner.version());
    assertEquals(workers.produced(), ledger.produced(workers.inFlight()),
        "produced = trained + dropped stale + rejected + pending + not yet delivered");
    assertTrue(stale > 0 && duplicates > 0 && versionsSeen.size() >= 3,
        "the scenario must exercise stale rollouts, duplicates and several versions: " + ledger
            + ", versions " + versionsSeen);
  }

  @Test
  void offeringTheSameRolloutTwiceTrainsItOnce() {
    PpoLearner twice = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 0, 7).learner();
    Rig once = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 0, 7);
    List<ScoredRollout> m = sample(once, new GenerationEngine(5, TinySetup.PAD),
        once.learner().snapshot(), 1);
    offerAll(twice, List.of(m.get(0), m.get(0), m.get(1), m.get(2), m.get(3), m.get(0), m.get(3)),
        Outcome.BUFFERED, Outcome.DUPLICATE, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.TRAINED,
        Outcome.DUPLICATE, Outcome.DUPLICATE);
    offerAll(once.learner(), m, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    assertEquals(new Ledger(7, 4, 0, 3, 0, 0), twice.ledger());
    assertEquals(once.learner().policyParams().sha256(), twice.policyParams().sha256(),
        "the duplicates changed the weights");
  }

  @Test
  void aBatchTrainsToTheSameWeightsWhateverOrderItsRolloutsArrivedIn() {
    Rig inOrder = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 0, 7);
    Rig reversed = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 0, 7);
    List<ScoredRollout> m = sample(inOrder, new GenerationEngine(5, TinySetup.PAD),
        inOrder.learner().snapshot(), 1);
    offerAll(inOrder.learner(), m, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    offerAll(reversed.learner(), List.of(m.get(3), m.get(1), m.get(2), m.get(0)),
        Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.TRAINED);
    assertEquals(inOrder.learner().policyParams().sha256(),
        reversed.learner().policyParams().sha256());
  }

  @Test
  void maxLagZeroDropsEveryRolloutOlderThanTheCurrentVersion() {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 0, 7);
    PpoLearner learner = rig.learner();
    GenerationEngine engine = new GenerationEngine(5, TinySetup.PAD);
    PolicySnapshot v0 = learner.snapshot();
    List<ScoredRollout> first = sample(rig, engine, v0, 1);
    List<ScoredRollout> late = sample(rig, engine, v0, 5);
    offerAll(learner, first, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    assertEquals(1, learner.version());
    offerAll(learner, late, Outcome.STALE, Outcome.STALE, Outcome.STALE, Outcome.STALE);
    offerAll(learner, sample(rig, engine, learner.snapshot(), 9), Outcome.BUFFERED,
        Outcome.BUFFERED, Outcome.BUFFERED, Outcome.TRAINED);
    assertEquals(new Ledger(12, 8, 4, 0, 0, 0), learner.ledger());
    assertEquals(0.0, learner.lastRound().get(PpoLearner.LAG_MAX));
  }

  @Test
  void onPolicyRolloutsGetABehaviourWeightOfExactlyOneInTheDecoupledObjective() {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4, decoupled = true"), 1, 7);
    PpoLearner learner = rig.learner();
    offerAll(learner, sample(rig, new GenerationEngine(5, TinySetup.PAD), learner.snapshot(), 1),
        Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.TRAINED);
    assertEquals(1.0, learner.lastRound().get(PpoMetrics.POLICY_BEHAVIOUR_WEIGHT_AVG));
    assertEquals(0.0, learner.lastRound().get(PpoLearner.OFF_POLICY_FRAC));
  }

  /** A round on rollouts of version 0, then one on more of version 0, now a version old. */
  private static PpoLearner trainedOnAFreshThenAStaleRound(Rig rig) {
    PpoLearner learner = rig.learner();
    GenerationEngine engine = new GenerationEngine(5, TinySetup.PAD);
    PolicySnapshot v0 = learner.snapshot();
    List<ScoredRollout> first = sample(rig, engine, v0, 1);
    List<ScoredRollout> late = sample(rig, engine, v0, 5);
    offerAll(learner, first, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    offerAll(learner, late, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    return learner;
  }

  @Test
  void staleRolloutsAreWeightedByTheCurrentOverTheBehaviourPolicyInTheDecoupledObjective() {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4, decoupled = true"), 1, 7);
    PpoLearner learner = trainedOnAFreshThenAStaleRound(rig);
    double weight = learner.lastRound().get(PpoMetrics.POLICY_BEHAVIOUR_WEIGHT_AVG);
    assertEquals(1.0, learner.lastRound().get(PpoLearner.OFF_POLICY_FRAC));
    assertEquals(1.0, learner.lastRound().get(PpoLearner.LAG_AVG));
    assertNotEquals(1.0, weight, "π_prox/π_behaviour of a stale rollout is not 1");
    assertTrue(weight > 0 && weight <= rig.config().importanceCap(), "weight " + weight);
  }

  @Test
  void staleRolloutsGetTheDecoupledObjectiveByDefault() {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 1, 7);
    PpoLearner learner = trainedOnAFreshThenAStaleRound(rig);
    assertTrue(rig.config().decoupled());
    Double weight = learner.lastRound().get(PpoMetrics.POLICY_BEHAVIOUR_WEIGHT_AVG);
    assertNotNull(weight, "the decoupled objective reports its behaviour weights");
    assertNotEquals(1.0, weight);
  }

  @ParameterizedTest
  @ValueSource(strings = {"separate", "value-head"})
  void aRoundOfOneMinibatchTrainsAsOneThatEvaluatesItsStartApart(String critic) {
    String[] sha = new String[4];
    for (int i = 0; i < 2; i++) {
      Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4, minibatches = 1, critic = " + critic),
          1, 7);
      if (i == 1) {
        rig.learner().evaluateRoundStartApart();
      }
      PpoLearner learner = rig.learner();
      GenerationEngine engine = new GenerationEngine(5, TinySetup.PAD);
      List<ScoredRollout> v0 = sample(rig, engine, learner.snapshot(), 1);
      List<ScoredRollout> late = sample(rig, engine, learner.snapshot(), 5);
      offerAll(learner, v0, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
          Outcome.TRAINED);
      // half a version behind, half current: the proximal policy is each row's own
      List<ScoredRollout> mixed = new ArrayList<>(late.subList(0, 2));
      mixed.addAll(sample(rig, engine, learner.snapshot(), 9).subList(0, 2));
      offerAll(learner, mixed, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
          Outcome.TRAINED);
      assertEquals(0.5, learner.lastRound().get(PpoLearner.OFF_POLICY_FRAC));
      sha[2 * i] = learner.policyParams().sha256();
      sha[2 * i + 1] = critic.equals("separate") ? learner.criticParams().sha256() : "";
    }
    assertEquals(sha[2], sha[0], "the policy");
    assertEquals(sha[3], sha[1], "the critic");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aRoundOfOneMinibatchRunsOneForwardPassOfEachModelPerEpoch(boolean reuse) {
    Rig rig = TinySetup.rig(TinySetup.ppo(
        "batch-size = 4, epochs = 3, minibatches = 1, critic = separate"), 1, 7);
    PpoLearner learner = rig.learner();
    if (!reuse) {
      learner.evaluateRoundStartApart();
    }
    GenerationEngine engine = new GenerationEngine(5, TinySetup.PAD);
    List<ScoredRollout> first = sample(rig, engine, learner.snapshot(), 1);
    List<ScoredRollout> late = sample(rig, engine, learner.snapshot(), 5);
    offerAll(learner, first, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    long policyBefore = learner.models().policyModel().forwardPasses();
    long criticBefore = learner.models().criticModel().forwardPasses();
    offerAll(learner, late, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED); // stale: the proximal policy is needed
    // apart: one more of each, the proximal log-probs' and the old values'
    assertEquals(reuse ? 3 : 4, learner.models().policyModel().forwardPasses() - policyBefore);
    assertEquals(reuse ? 3 : 4, learner.models().criticModel().forwardPasses() - criticBefore);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void aCriticTrainedOnItsOwnThreadBesideThePolicyGivesTheSameWeightsAsInTurn(int minibatches) {
    int threadsBefore = TensorThreads.currentThread();
    String[] sha = new String[4];
    try {
      for (int i = 0; i < 2; i++) {
        Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4, critic = separate, minibatches = "
            + minibatches), 1, 7);
        long tasks = CriticThread.tasks();
        if (i == 1) {
          rig.learner().useThreads(1);
        } else {
          TensorThreads.bindCurrentThread(1);
        }
        PpoLearner learner = trainedOnAFreshThenAStaleRound(rig);
        // each update's forward and step; with one minibatch, the round's start is the first's
        long perRound = 2L * rig.config().epochs() * minibatches;
        assertEquals(i == 1 ? 2 * perRound : 0, CriticThread.tasks() - tasks);
        sha[2 * i] = learner.policyParams().sha256();
        sha[2 * i + 1] = learner.criticParams().sha256();
      }
    } finally {
      TensorThreads.bindCurrentThread(threadsBefore);
    }
    assertEquals(sha[0], sha[2], "the policy");
    assertEquals(sha[1], sha[3], "the critic");
  }

  @Test
  void onPolicyRoundsTrainTheSameWeightsWithOrWithoutTheDecoupledObjective() {
    String[] sha = new String[2];
    for (int i = 0; i < 2; i++) {
      Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4, decoupled = " + (i == 0)), 0, 7);
      assertEquals(i == 0, rig.config().decoupled());
      PpoLearner learner = rig.learner();
      GenerationEngine engine = new GenerationEngine(5, TinySetup.PAD);
      for (int round = 0; round < 2; round++) {
        offerAll(learner, sample(rig, engine, learner.snapshot(), 1 + 4 * round),
            Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.TRAINED);
      }
      sha[i] = learner.policyParams().sha256();
    }
    assertEquals(sha[0], sha[1], "a current sample's weight is exactly 1");
  }

  @Test
  void malformedMessagesAreRejectedWithoutRememberingTheirIds() {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 4"), 0, 7);
    PpoLearner learner = rig.learner();
    ScoredRollout good = sample(rig, new GenerationEngine(5, TinySetup.PAD), learner.snapshot(),
        1).get(0);
    ScoredRollout noReference = good.toBuilder().clearReferenceLogprobs().build();
    ScoredRollout fromTheFuture = good.toBuilder()
        .setRollout(good.getRollout().toBuilder().setPolicyVersion(3)).build();
    assertTrue(learner.defect(noReference).orElseThrow().contains("reference log-probs"),
        learner.defect(noReference).toString());
    assertTrue(learner.defect(fromTheFuture).orElseThrow().contains("newer"),
        learner.defect(fromTheFuture).toString());
    offerAll(learner, List.of(noReference, fromTheFuture, good), Outcome.REJECTED,
        Outcome.REJECTED, Outcome.BUFFERED);
    assertEquals(new Ledger(3, 0, 0, 0, 2, 1), learner.ledger());
  }

  @Test
  void grpoTrainsOnlyOnCompleteGroupsOfOnePromptId() {
    Rig rig = TinySetup.rig(TinySetup.ppo("advantage = grpo"), 0, 7);
    PpoLearner learner = rig.learner();
    // prompt ids 1, 2, 3 with rollouts 1–4, 5–8, 9–12
    List<ScoredRollout> m = TinySetup.sampleAndScore(rig, new GenerationEngine(5, TinySetup.PAD),
        learner.snapshot(), TinySetup.PROMPTS.subList(0, 3), 4, 1, 1, "w");
    List<ScoredRollout> order = new ArrayList<>(m.subList(0, 3)); // 3 of group 1
    order.addAll(m.subList(4, 8)); // group 2, complete
    order.add(m.get(8)); // 1 of group 3
    order.add(m.get(3)); // completes group 1, and with group 2 the batch
    offerAll(learner, order, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.TRAINED);
    assertEquals(1, learner.version());
    assertTrue(Double.isFinite(learner.lastRound().get(PpoMetrics.LOSS_POLICY_AVG)));
    assertEquals(new Ledger(9, 8, 1, 0, 0, 0), learner.ledger(),
        "group 3's member fell behind with max-lag 0 when the version moved on");
  }

  @Test
  void anIncompleteGroupWithinMaxLagWaitsForItsMembers() {
    Rig rig = TinySetup.rig(TinySetup.ppo("advantage = rloo"), 1, 7);
    PpoLearner learner = rig.learner();
    List<ScoredRollout> m = TinySetup.sampleAndScore(rig, new GenerationEngine(5, TinySetup.PAD),
        learner.snapshot(), TinySetup.PROMPTS.subList(0, 3), 4, 1, 1, "w");
    List<ScoredRollout> order = new ArrayList<>(m.subList(8, 10)); // half of group 3
    order.addAll(m.subList(0, 8)); // groups 1 and 2: a batch
    order.addAll(m.subList(10, 12)); // the rest of group 3, one version behind
    offerAll(learner, order, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED, Outcome.BUFFERED,
        Outcome.BUFFERED, Outcome.TRAINED, Outcome.BUFFERED, Outcome.BUFFERED);
    assertEquals(new Ledger(12, 8, 0, 0, 0, 4), learner.ledger());
  }

  /**
   * Two groups of four sampled responses, with scores that are exact in float and a finish reason
   * set so that each group has responses with and without EOS; {@code penalty} is subtracted from
   * the scores of those without, as a learner would.
   */
  private static List<ScoredRollout> mixedEos(Rig rig, double penalty) {
    List<ScoredRollout> sampled = TinySetup.sampleAndScore(rig,
        new GenerationEngine(5, TinySetup.PAD), rig.learner().snapshot(),
        TinySetup.PROMPTS.subList(0, 2), 4, 1, 1, "w");
    double[] scores = {0.5, 0.25, 1.5, 0.75, 2.0, 0.5, 1.25, 1.0};
    List<ScoredRollout> out = new ArrayList<>();
    for (int i = 0; i < sampled.size(); i++) {
      boolean eos = i % 4 < 2;
      ScoredRollout m = sampled.get(i);
      out.add(m.toBuilder().setScore((float) (scores[i] - (eos ? 0 : penalty)))
          .setRollout(m.getRollout().toBuilder().setFinishReason(eos
              ? FinishReason.FINISH_REASON_STOP_TOKEN : FinishReason.FINISH_REASON_LENGTH))
          .build());
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpo", "rloo"})
  void theMissingEosPenaltyReachesTheGroupedAdvantages(String advantage) {
    String settings = "advantage = " + advantage + ", minibatches = 1, kl-coef = 0.02";
    Rig penalised = TinySetup.rig(TinySetup.ppo(settings + ", missing-eos-penalty = 1.0"), 0, 7);
    Rig scoredLower = TinySetup.rig(TinySetup.ppo(settings), 0, 7);
    Rig unpenalised = TinySetup.rig(TinySetup.ppo(settings), 0, 7);
    for (ScoredRollout m : mixedEos(penalised, 0)) {
      penalised.learner().offer(m);
      unpenalised.learner().offer(m);
    }
    for (ScoredRollout m : mixedEos(scoredLower, 1.0)) {
      scoredLower.learner().offer(m);
    }
    assertEquals(1, penalised.learner().version());
    assertEquals(scoredLower.learner().policyParams().sha256(),
        penalised.learner().policyParams().sha256(),
        "penalty 1 must train as if the reward model had scored the EOS-less responses 1 lower");
    assertNotEquals(unpenalised.learner().policyParams().sha256(),
        penalised.learner().policyParams().sha256(), "the penalty changed nothing");
  }

  /** The weights after one round on two groups of four sampled responses. */
  private static Rig oneGroupedRound(String settings) {
    Rig rig = TinySetup.rig(TinySetup.ppo(settings), 0, 7);
    for (ScoredRollout m : TinySetup.sampleAndScore(rig, new GenerationEngine(5, TinySetup.PAD),
        rig.learner().snapshot(), TinySetup.PROMPTS.subList(0, 2), 4, 1, 1, "w")) {
      rig.learner().offer(m);
    }
    assertEquals(1, rig.learner().version());
    return rig;
  }

  @Test
  void grpoWithTheKlInTheLossTrainsDifferentlyOnlyThroughKlCoefAndReportsTheLossKl() {
    Rig loss = oneGroupedRound("advantage = grpo, kl-coef = 0.5, grpo.kl-in = loss");
    Rig reward = oneGroupedRound("advantage = grpo, kl-coef = 0.5, grpo.kl-in = reward");
    assertNotEquals(reward.learner().policyParams().sha256(),
        loss.learner().policyParams().sha256());
    assertTrue(loss.learner().lastRound().containsKey(PpoMetrics.LOSS_KL_AVG),
        loss.learner().lastRound().toString());
    assertFalse(reward.learner().lastRound().containsKey(PpoMetrics.LOSS_KL_AVG));
    assertEquals(
        oneGroupedRound("advantage = grpo, kl-coef = 0, grpo.kl-in = reward").learner()
            .policyParams().sha256(),
        oneGroupedRound("advantage = grpo, kl-coef = 0, grpo.kl-in = loss").learner()
            .policyParams().sha256(), "with β = 0 where the KL goes must not matter");
  }

  @Test
  void grpoKlInTheLossIsK3OfTheTrainedPolicyAgainstTheReferenceLogProbsOfTheMessage() {
    // the reference is a copy of the sampling policy: move its log-probs 0.5 below the
    // behaviour's, so only the message's reference log-probs can give k3(r = −0.5)
    Rig rig = TinySetup.rig(TinySetup.ppo(
        "advantage = grpo, epochs = 1, minibatches = 1, kl-coef = 0.1, grpo.kl-in = loss"), 0, 7);
    for (ScoredRollout m : TinySetup.sampleAndScore(rig, new GenerationEngine(5, TinySetup.PAD),
        rig.learner().snapshot(), TinySetup.PROMPTS.subList(0, 2), 4, 1, 1, "w")) {
      ScoredRollout.Builder shifted = m.toBuilder().clearReferenceLogprobs();
      for (float logp : m.getRollout().getBehaviourLogprobsList()) {
        shifted.addReferenceLogprobs(logp - 0.5f);
      }
      rig.learner().offer(shifted.build());
    }
    // one update, evaluated at the sampling policy: its log-probs are the behaviour's up to
    // float rounding
    Map<String, Double> round = rig.learner().lastRound();
    double k3 = Math.expm1(-0.5) + 0.5;
    assertEquals(k3, round.get(PpoMetrics.LOSS_KL_AVG), 1e-4, round.toString());
    assertEquals(0.1 * round.get(PpoMetrics.LOSS_KL_AVG),
        round.get(PpoMetrics.LOSS_TOTAL) - round.get(PpoMetrics.LOSS_POLICY_AVG), 1e-12);
  }

  @Test
  void rlooFoldsTheKlIntoTheRewardWhateverGrpoKlInSays() {
    assertEquals(
        oneGroupedRound("advantage = rloo, kl-coef = 0.5, grpo.kl-in = reward").learner()
            .policyParams().sha256(),
        oneGroupedRound("advantage = rloo, kl-coef = 0.5, grpo.kl-in = loss").learner()
            .policyParams().sha256());
  }

  @Test
  void aBatchSizeThatIsNotAMultipleOfTheGroupSizeIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TinySetup.rig(TinySetup.ppo("advantage = grpo, batch-size = 6, minibatches = 1"), 0,
            7));
    assertTrue(e.getMessage().contains("multiple of group-size"), e.getMessage());
  }

  @Test
  void anAsynchronousRunWithALaggingWorkerRaisesTheRewardModelsScore() {
    Rig rig = TinySetup.rig(TinySetup.ppo("batch-size = 16, critic = separate, decoupled = true"),
        2, 7);
    PpoLearner learner = rig.learner();
    String referenceSha = rig.reference().params().sha256();
    String rewardSha = rig.reward().params().sha256();
    WorkerSimulation workers = new WorkerSimulation(rig, 13, new int[] {1, 2}, 2, 0.1, 0.1);
    List<Double> scores = new ArrayList<>();
    double offPolicy = 0;
    for (int step = 0; learner.version() < 24; step++) {
      assertTrue(step < 40, "too few rounds: " + learner.ledger());
      for (ScoredRollout m : workers.step(step)) {
        if (learner.offer(m) == Outcome.TRAINED) {
          scores.add(learner.lastRound().get(PpoMetrics.OBJECTIVE_SCORES));
          offPolicy += learner.lastRound().get(PpoLearner.OFF_POLICY_FRAC);
        }
      }
    }
    double first = scores.subList(0, 4).stream().mapToDouble(Double::doubleValue).average()
        .orElseThrow();
    double last = scores.subList(scores.size() - 4, scores.size()).stream()
        .mapToDouble(Double::doubleValue).average().orElseThrow();
    System.out.printf("async ppo scores: first %.3f last %.3f, off-policy share %.2f, %s%n",
        first, last, offPolicy / scores.size(), learner.ledger());
    assertTrue(last > first + 0.3, scores.toString());
    assertTrue(offPolicy > 0, "no round trained on a stale rollout");
    ParameterStore policy = learner.policyParams();
    for (ParameterSpec s : policy.layout().specs()) {
      assertNotEquals(rig.reference().params().get(s.name()), policy.get(s.name()),
          s.name() + " did not change");
    }
    assertEquals(referenceSha, rig.reference().params().sha256(), "the reference moved");
    assertEquals(rewardSha, rig.reward().params().sha256(), "the reward model moved");
  }
}
