package org.rlhf4j.learner.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.OptimizerConfig;
import org.rlhf4j.learner.OptimizerStep;
import org.rlhf4j.learner.PreferencePair;
import org.rlhf4j.learner.RewardTrainer;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;

class RewardModelAccuracyTest {
  /** Scores a response by how many 5s it holds; the prompt is ignored. */
  private static final SequenceScorer COUNT_FIVES = (prompts, responses) -> responses.stream()
      .mapToDouble(r -> Arrays.stream(r).filter(t -> t == 5).count()).toArray();

  private static PreferencePair pair(int[] chosen, int[] rejected) {
    return new PreferencePair(new int[] {1}, chosen, rejected, 0);
  }

  @Test
  void accuracyIsTheFractionOfPairsWhoseChosenResponseScoresHigher() {
    // fives: 2 > 0 right, 1 > 0 right, 3 > 1 right, 1 = 1 a tie (wrong), 0 < 1 wrong → 3 of 5;
    // Wilson: centre (0.6 + Z²/10) / (1 + Z²/5) = 0.5565518, half-width 0.3258275,
    // so [0.2307243, 0.8823792]
    List<PreferencePair> pairs = List.of(
        pair(new int[] {5, 5}, new int[] {1}),
        pair(new int[] {5}, new int[] {2, 2}),
        pair(new int[] {5, 5, 5}, new int[] {5, 1}),
        pair(new int[] {5, 1}, new int[] {1, 5}),
        pair(new int[] {3}, new int[] {5}));
    RewardModelAccuracy.Result r = RewardModelAccuracy.of(pairs, COUNT_FIVES);
    assertEquals(3, r.correct());
    assertEquals(5, r.pairs());
    assertEquals(0.6, r.accuracy().mean(), 1e-15);
    assertEquals(0.2307242812760128, r.accuracy().low(), 1e-12);
    assertEquals(0.882379225767352, r.accuracy().high(), 1e-12);
  }

  @Test
  void aConstantScorerGetsNoPairRightBecauseTiesCountAsWrong() {
    List<PreferencePair> pairs = List.of(pair(new int[] {5}, new int[] {1}),
        pair(new int[] {2}, new int[] {5}));
    SequenceScorer constant = (prompts, responses) -> new double[responses.size()];
    assertEquals(0, RewardModelAccuracy.of(pairs, constant).correct());
  }

  @Test
  void noPairsAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> RewardModelAccuracy.of(List.of(), COUNT_FIVES));
  }

  @Test
  void aRewardModelScorerAgreesWithRewardTrainerAccuracy() {
    Gpt rm = new Gpt(new ModelConfig(12, 16, 16, 1, 2, 1e-5), EnumSet.of(Head.REWARD),
        new VectorKernels());
    ParameterStore params = rm.initialParameters(3, DataType.FLOAT);
    SplittableRandom rng = new SplittableRandom(4);
    List<PreferencePair> pairs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      pairs.add(new PreferencePair(new int[] {1 + rng.nextInt(11)}, tokens(rng), tokens(rng), 0));
    }
    OptimizerConfig optimizer = ConfigLoader.parse("rlhf4j.optimizer { learning-rate = 1e-3 }",
        "t.conf").optimizer();
    RewardTrainer trainer = new RewardTrainer(rm, params,
        new OptimizerStep(params, optimizer, 1, rm.kernels()), 16, 0);
    RewardModelAccuracy.Result r = RewardModelAccuracy.of(pairs,
        SequenceScorer.rewardModel(rm, params, 0, 7));
    assertEquals(trainer.accuracy(pairs, 7), r.accuracy().mean(), 1e-15);
    assertEquals(40, r.pairs());
  }

  @Test
  void aModelWithoutARewardHeadIsNotAScorer() {
    assertThrows(IllegalArgumentException.class, () -> SequenceScorer.rewardModel(
        TinyModels.gpt(4), TinyModels.policy(4, 1).params(), 0, 4));
  }

  private static int[] tokens(SplittableRandom rng) {
    int[] t = new int[1 + rng.nextInt(5)];
    for (int k = 0; k < t.length; k++) {
      t[k] = rng.nextInt(12);
    }
    return t;
  }
}
