package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.OptimizerConfig;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.rl.PpoMetrics;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;

class PpoTrainerTest {
  private static final ModelConfig SMALL = new ModelConfig(12, 24, 32, 1, 2, 1e-5);
  private static final int EOS = 11;
  private static final OptimizerConfig OPTIMIZER = ConfigLoader.parse(
      "rlhf4j.optimizer { learning-rate = 3e-3, warmup-steps = 0, schedule = constant }", "t.conf")
      .optimizer();

  /** A reward model trained to prefer responses of token 5 over responses of token 7. */
  private static ParameterStore rewardModel(Gpt rm) {
    ParameterStore params = rm.initialParameters(1, DataType.FLOAT);
    RewardTrainer trainer = new RewardTrainer(rm, params,
        new OptimizerStep(params, OPTIMIZER, 60, rm.kernels()), 24, 0);
    List<PreferencePair> pairs = new ArrayList<>();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (int i = 0; i < 240; i++) {
      int len = 1 + rng.nextInt(6);
      int[] chosen = new int[len];
      int[] rejected = new int[len];
      for (int k = 0; k < len; k++) {
        chosen[k] = rng.nextInt(2) == 0 ? 5 : 1 + rng.nextInt(10);
        rejected[k] = chosen[k] == 5 ? 1 + rng.nextInt(4) : chosen[k];
      }
      pairs.add(new PreferencePair(new int[] {1 + rng.nextInt(3)}, chosen, rejected, 0));
    }
    for (int step = 0; step < 60; step++) {
      trainer.step(pairs.subList((step * 4) % 236, (step * 4) % 236 + 4), step);
    }
    return params;
  }

  private static PpoConfig ppo(String advantage, String critic) {
    return ConfigLoader.parse("""
        rlhf4j.ppo { batch-size = 16, epochs = 2, minibatches = 2, response-length = 6,
          temperature = 1.0, advantage = %s, group-size = 4, critic = %s, kl-coef = 0.02 }
        """.formatted(advantage, critic), "t.conf").ppo();
  }

  private static List<Double> train(String advantage, String critic, int iterations) {
    Gpt rm = new Gpt(SMALL, EnumSet.of(Head.REWARD), new VectorKernels());
    ParameterStore reward = rewardModel(rm);
    boolean valueHead = critic.equals("value-head") && advantage.equals("gae");
    Gpt policyModel = new Gpt(SMALL, valueHead ? EnumSet.of(Head.VALUE) : EnumSet.noneOf(Head.class),
        new VectorKernels());
    ParameterStore policy = policyModel.initialParameters(2, DataType.FLOAT);
    ParameterStore reference = policy.copy();
    String referenceSha = reference.sha256();
    Gpt criticModel = null;
    ParameterStore criticParams = null;
    OptimizerStep criticOptimizer = null;
    if (advantage.equals("gae") && !valueHead) {
      criticModel = new Gpt(SMALL, EnumSet.of(Head.VALUE), new VectorKernels());
      criticParams = criticModel.initialParameters(4, DataType.FLOAT);
      for (var s : criticParams.layout().specs()) {
        if (reward.layout().contains(s.name())) {
          criticParams.get(s.name()).assign(reward.get(s.name())); // InstructGPT: critic from RM
        }
      }
      criticOptimizer = new OptimizerStep(criticParams, OPTIMIZER, 1000, criticModel.kernels());
    }
    PpoConfig c = ppo(advantage, critic);
    List<int[]> prompts = List.of(new int[] {1}, new int[] {2}, new int[] {3}, new int[] {1, 2});
    PpoTrainer trainer = new PpoTrainer(new PpoTrainer.Models(policyModel, policy, reference, rm,
        reward, criticModel, criticParams), c, new OptimizerStep(policy, OPTIMIZER, 1000,
        policyModel.kernels()), criticOptimizer, prompts, 7, EOS, 0);
    List<Double> scores = new ArrayList<>();
    for (int it = 0; it < iterations; it++) {
      Map<String, Double> m = trainer.iteration(it);
      scores.add(m.get(PpoMetrics.OBJECTIVE_SCORES));
      assertTrue(Double.isFinite(m.get(PpoMetrics.POLICY_APPROXKL_AVG)), m.toString());
    }
    assertEquals(referenceSha, reference.sha256(), "the reference moved");
    return scores;
  }

  private static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  @Test
  void ppoWithASeparateCriticRaisesTheRewardModelsScore() {
    List<Double> scores = train("gae", "separate", 24);
    System.out.printf("ppo gae/separate scores: first %.3f last %.3f%n", mean(scores.subList(0, 4)),
        mean(scores.subList(20, 24)));
    assertTrue(mean(scores.subList(20, 24)) > mean(scores.subList(0, 4)) + 0.3, scores.toString());
  }

  @Test
  void ppoWithAValueHeadOnThePolicyRaisesTheScore() {
    List<Double> scores = train("gae", "value-head", 24);
    System.out.printf("ppo gae/value-head scores: first %.3f last %.3f%n",
        mean(scores.subList(0, 4)), mean(scores.subList(20, 24)));
    assertTrue(mean(scores.subList(20, 24)) > mean(scores.subList(0, 4)) + 0.3, scores.toString());
  }

  @Test
  void grpoAndRlooRaiseTheScoreWithoutACritic() {
    for (String advantage : List.of("grpo", "rloo")) {
      List<Double> scores = train(advantage, "separate", 24);
      System.out.printf("ppo %s scores: first %.3f last %.3f%n", advantage,
          mean(scores.subList(0, 4)), mean(scores.subList(20, 24)));
      assertTrue(mean(scores.subList(20, 24)) > mean(scores.subList(0, 4)) + 0.3,
          advantage + " " + scores);
    }
  }

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;

  private PpoRun.Spec runSpec(java.nio.file.Path out, boolean resume) {
    org.rlhf4j.config.RlhfConfig c = ConfigLoader.parse("""
        rlhf4j.model { vocab-size = 260, context-length = 24, d-model = 32, layers = 1, heads = 2 }
        rlhf4j.ppo { batch-size = 8, epochs = 2, minibatches = 2, response-length = 5,
          iterations = 5, checkpoint-every = 2, adaptive-kl = true, target-kl = 0.5 }
        rlhf4j.optimizer { learning-rate = 3e-3, warmup-steps = 1 }
        """, "t.conf");
    Gpt rm = new Gpt(c.model(), EnumSet.of(Head.REWARD), new VectorKernels());
    ParameterStore reward = rm.initialParameters(1, DataType.FLOAT);
    Gpt policyModel = new Gpt(c.model(), EnumSet.noneOf(Head.class), new VectorKernels());
    Gpt criticModel = new Gpt(c.model(), EnumSet.of(Head.VALUE), new VectorKernels());
    return new PpoRun.Spec(c, policyModel, policyModel.initialParameters(2, DataType.FLOAT), rm,
        reward, criticModel, criticModel.initialParameters(3, DataType.FLOAT),
        new org.rlhf4j.model.tokenizer.ByteTokenizer(),
        List.of(new int[] {65}, new int[] {66, 67}, new int[] {68}), out, resume);
  }

  @Test
  void aResumedPpoRunEndsWithTheWeightsOfAnUninterruptedOne() throws Exception {
    TrainingRun.Result straight = PpoRun.run(runSpec(dir.resolve("straight"), false),
        ProgressListener.none());
    TrainingRun.Result again = PpoRun.run(runSpec(dir.resolve("again"), false),
        ProgressListener.none());
    assertEquals(
        org.rlhf4j.model.io.Checkpoint.load(straight.model(), DataType.FLOAT).params().sha256(),
        org.rlhf4j.model.io.Checkpoint.load(again.model(), DataType.FLOAT).params().sha256(),
        "two identical runs differ");
    java.nio.file.Path out = dir.resolve("interrupted");
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> PpoRun.run(runSpec(out, false), (done, total, name, value) -> {
          if (done == 3) {
            throw new IllegalStateException("killed");
          }
        }));
    TrainingRun.Result resumed = PpoRun.run(runSpec(out, true), ProgressListener.none());
    assertEquals(
        org.rlhf4j.model.io.Checkpoint.load(straight.model(), DataType.FLOAT).params().sha256(),
        org.rlhf4j.model.io.Checkpoint.load(resumed.model(), DataType.FLOAT).params().sha256());
  }
}
