package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.OptimizerConfig;
import org.rlhf4j.learner.preference.BradleyTerryObjective;
import org.rlhf4j.learner.preference.DpoLoss;
import org.rlhf4j.learner.preference.DpoMetrics;
import org.rlhf4j.learner.preference.DpoObjective;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;

class PreferenceTrainersTest {
  private static final ModelConfig SMALL = new ModelConfig(12, 24, 32, 1, 2, 1e-5);
  private static final OptimizerConfig OPTIMIZER =
      ConfigLoader.parse("rlhf4j.optimizer { learning-rate = 3e-3, warmup-steps = 0, "
          + "schedule = constant }", "t.conf").optimizer();

  /** Chosen responses repeat token 5, rejected ones token 7; prompts are random. */
  static List<PreferencePair> pairs(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<PreferencePair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] prompt = {1 + rng.nextInt(4), 1 + rng.nextInt(4)};
      int len = 2 + rng.nextInt(4);
      int[] chosen = new int[len];
      int[] rejected = new int[len];
      for (int k = 0; k < len; k++) {
        chosen[k] = rng.nextInt(3) == 0 ? 9 : 5;
        rejected[k] = rng.nextInt(3) == 0 ? 9 : 7;
      }
      out.add(new PreferencePair(prompt, chosen, rejected, 0));
    }
    return out;
  }

  @Test
  void theRewardModelLearnsToRankHeldOutPairs() {
    Gpt gpt = new Gpt(SMALL, EnumSet.of(Head.REWARD), new VectorKernels());
    ParameterStore params = gpt.initialParameters(1, DataType.FLOAT);
    RewardTrainer trainer = new RewardTrainer(gpt, params,
        new OptimizerStep(params, OPTIMIZER, 60, gpt.kernels()), 24, 0);
    List<PreferencePair> heldOut = pairs(40, 99);
    double before = trainer.accuracy(heldOut, 16);
    List<PreferencePair> train = pairs(200, 1);
    for (int step = 0; step < 60; step++) {
      trainer.step(train.subList((step * 8) % 192, (step * 8) % 192 + 8), step);
    }
    double after = trainer.accuracy(heldOut, 16);
    System.out.printf("reward model held-out accuracy %.2f -> %.2f%n", before, after);
    assertTrue(after >= 0.95, "held-out accuracy " + after);
  }

  @Test
  void rewardModelGradientsMatchFiniteDifferences() {
    Gpt gpt = new Gpt(SMALL, EnumSet.of(Head.REWARD), new Nd4jKernels());
    ParameterStore params = gpt.initialParameters(2, DataType.DOUBLE);
    params.flat().addi(FiniteDifferences.random(3, 0.3, params.flat().length()));
    List<PreferencePair> batch = pairs(3, 4);
    RewardTrainer trainer = new RewardTrainer(gpt, params,
        new OptimizerStep(params, OPTIMIZER, 1, gpt.kernels()), 24, 0);
    ParameterStore g = params.zerosLike();
    trainer.gradients(batch, g);
    DoubleSupplier loss = () -> trainer.gradients(batch, params.zerosLike()).loss();
    for (ParameterSpec s : params.layout().specs()) {
      FiniteDifferences.check("rm " + s.name(), params.get(s.name()), g.get(s.name()), loss, 4, 5,
          1e-6);
    }
  }

  @Test
  void dpoGradientsMatchFiniteDifferencesForSumsAndForIposMeans() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore policy = gpt.initialParameters(5, DataType.DOUBLE);
    policy.flat().addi(FiniteDifferences.random(6, 0.3, policy.flat().length()));
    ParameterStore reference = gpt.initialParameters(7, DataType.DOUBLE);
    List<PreferencePair> batch = pairs(3, 8);
    for (DpoObjective objective : List.of(DpoObjective.sigmoid(0.5),
        new DpoObjective(DpoLoss.IPO, 0.5, 0))) {
      DpoTrainer trainer = new DpoTrainer(gpt, policy, reference,
          new OptimizerStep(policy, OPTIMIZER, 1, gpt.kernels()), objective, 24, 0);
      ParameterStore g = policy.zerosLike();
      trainer.gradients(batch, g);
      DoubleSupplier loss = () -> trainer.gradients(batch, policy.zerosLike()).loss();
      for (String name : List.of("wte.weight", "h.0.attn.c_attn.weight", "ln_f.bias")) {
        FiniteDifferences.check(objective.lossType() + " " + name, policy.get(name), g.get(name),
            loss, 8, 9, 1e-6);
      }
    }
  }

  @Test
  void dpoPrefersTheChosenResponsesAndLeavesTheReferenceAlone() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore policy = gpt.initialParameters(1, DataType.FLOAT);
    ParameterStore reference = policy.copy();
    String referenceSha = reference.sha256();
    DpoTrainer trainer = new DpoTrainer(gpt, policy, reference,
        new OptimizerStep(policy, OPTIMIZER, 40, gpt.kernels()), DpoObjective.sigmoid(0.1), 24, 0);
    List<PreferencePair> train = pairs(160, 2);
    double firstAccuracy = -1;
    double lastAccuracy = -1;
    double lastMargin = 0;
    for (int step = 0; step < 40; step++) {
      var m = trainer.step(train.subList((step * 8) % 152, (step * 8) % 152 + 8), step);
      if (step == 0) {
        firstAccuracy = m.get(DpoMetrics.REWARDS_ACCURACIES);
      }
      lastAccuracy = m.get(DpoMetrics.REWARDS_ACCURACIES);
      lastMargin = m.get(DpoMetrics.REWARDS_MARGINS);
    }
    System.out.printf("dpo accuracy %.2f -> %.2f, margin %.3f%n", firstAccuracy, lastAccuracy,
        lastMargin);
    assertEquals(1.0, lastAccuracy, 1e-9);
    assertTrue(lastMargin > 0.5, "margin " + lastMargin);
    assertEquals(referenceSha, reference.sha256());
  }

  @Test
  void precomputedReferenceLogProbsGiveTheSameUpdatesAsLiveOnes() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    List<PreferencePair> train = pairs(32, 6);
    List<String> hashes = new ArrayList<>();
    for (boolean precompute : List.of(false, true)) {
      ParameterStore policy = gpt.initialParameters(1, DataType.FLOAT);
      ParameterStore reference = policy.copy();
      DpoTrainer trainer = new DpoTrainer(gpt, policy, reference,
          new OptimizerStep(policy, OPTIMIZER, 8, gpt.kernels()), DpoObjective.sigmoid(0.1), 24, 0,
          precompute);
      for (int step = 0; step < 8; step++) {
        trainer.step(train.subList((step * 8) % 32, (step * 8) % 32 + 8), step);
      }
      hashes.add(policy.sha256());
    }
    assertEquals(hashes.get(0), hashes.get(1));
  }

  @Test
  void rposNllTermIsTheChosenTokensMeanNllAndItsGradientMatchesFiniteDifferences() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore policy = gpt.initialParameters(5, DataType.DOUBLE);
    policy.flat().addi(FiniteDifferences.random(6, 0.3, policy.flat().length()));
    ParameterStore reference = gpt.initialParameters(7, DataType.DOUBLE);
    List<PreferencePair> batch = pairs(3, 8);
    for (DpoObjective objective : List.of(DpoObjective.sigmoid(0.5),
        new DpoObjective(DpoLoss.IPO, 0.5, 0))) {
      OptimizerStep optimizer = new OptimizerStep(policy, OPTIMIZER, 1, gpt.kernels());
      DpoTrainer plain = new DpoTrainer(gpt, policy, reference, optimizer, objective, 24, 0,
          false, 0);
      DpoTrainer rpo = new DpoTrainer(gpt, policy, reference, optimizer, objective, 24, 0,
          false, 0.7);
      // the NLL by hand: every chosen token's log-prob under the policy, one sequence at a time
      double logpSum = 0;
      int tokens = 0;
      for (PreferencePair pair : batch) {
        ResponseBatch one = ResponseBatch.of(List.of(pair.prompt()), List.of(pair.chosen()), 24,
            0);
        logpSum += one.perSequence(PolicyEvaluation.of(gpt, policy, one.tokens(),
            one.targets(), 1.0, false, false).logprobs(), false)[0];
        tokens += pair.chosen().length;
      }
      double expected = plain.gradients(batch, policy.zerosLike()).loss()
          + 0.7 * (-logpSum / tokens);
      assertEquals(expected, rpo.gradients(batch, policy.zerosLike()).loss(), 1e-9);

      ParameterStore g = policy.zerosLike();
      rpo.gradients(batch, g);
      DoubleSupplier loss = () -> rpo.gradients(batch, policy.zerosLike()).loss();
      for (String name : List.of("wte.weight", "h.0.mlp.c_fc.weight", "ln_f.weight")) {
        FiniteDifferences.check("rpo " + objective.lossType() + " " + name, policy.get(name),
            g.get(name), loss, 8, 9, 1e-6);
      }
    }
  }

  @Test
  void aDpoBatchInThreeShardsHasTheWholeBatchsLossAndGradient() {
    // RPO's NLL is a mean over the whole batch's chosen tokens and IPO averages per sequence, so
    // a shard that normalized by its own tokens or pairs would differ; the cache is filled from
    // the shards' threads on the first pass and read on the second
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore policy = gpt.initialParameters(5, DataType.DOUBLE);
    policy.flat().addi(FiniteDifferences.random(6, 0.3, policy.flat().length()));
    ParameterStore reference = gpt.initialParameters(7, DataType.DOUBLE);
    List<PreferencePair> batch = pairs(7, 8);
    for (DpoObjective objective : List.of(DpoObjective.sigmoid(0.5),
        new DpoObjective(DpoLoss.IPO, 0.5, 0))) {
      OptimizerStep optimizer = new OptimizerStep(policy, OPTIMIZER, 1, gpt.kernels());
      DpoTrainer whole = new DpoTrainer(gpt, policy, reference, optimizer, objective, 24, 0,
          true, 0.7, 1, 1);
      DpoTrainer shards = new DpoTrainer(gpt, policy, reference, optimizer, objective, 24, 0,
          true, 0.7, 3, 1);
      ParameterStore expected = policy.zerosLike();
      DpoObjective.Result w = whole.gradients(batch, expected);
      for (int pass = 0; pass < 2; pass++) {
        ParameterStore g = policy.zerosLike();
        DpoObjective.Result r = shards.gradients(batch, g);
        assertEquals(w.loss(), r.loss(), 1e-12, objective.lossType() + " loss, pass " + pass);
        for (var m : w.metrics().asMap().entrySet()) {
          assertEquals(m.getValue(), r.metrics().asMap().get(m.getKey()), 1e-12, m.getKey());
        }
        assertEquals(0.0, g.flat().sub(expected.flat()).amaxNumber().doubleValue(), 1e-12,
            objective.lossType() + " gradient, pass " + pass);
      }
    }
  }

  @Test
  void aRewardModelBatchInThreeShardsHasTheWholeBatchsLossAndGradient() {
    Gpt gpt = new Gpt(SMALL, EnumSet.of(Head.REWARD), new Nd4jKernels());
    ParameterStore params = gpt.initialParameters(2, DataType.DOUBLE);
    params.flat().addi(FiniteDifferences.random(3, 0.3, params.flat().length()));
    List<PreferencePair> batch = pairs(7, 4);
    OptimizerStep optimizer = new OptimizerStep(params, OPTIMIZER, 1, gpt.kernels());
    ParameterStore expected = params.zerosLike();
    BradleyTerryObjective.Result w = new RewardTrainer(gpt, params, optimizer, 24, 0, 1, 1)
        .gradients(batch, expected);
    ParameterStore g = params.zerosLike();
    BradleyTerryObjective.Result r = new RewardTrainer(gpt, params, optimizer, 24, 0, 3, 1)
        .gradients(batch, g);
    assertEquals(w.loss(), r.loss(), 1e-12);
    assertEquals(w.accuracy(), r.accuracy());
    assertEquals(0.0, g.flat().sub(expected.flat()).amaxNumber().doubleValue(), 1e-12);
  }
}
