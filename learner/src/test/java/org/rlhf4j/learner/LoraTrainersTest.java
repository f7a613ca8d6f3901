package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.OptimizerConfig;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.preference.DpoObjective;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;

/** SFT, reward model and DPO with LoRA: only adapters and heads train, the base stays as it was. */
class LoraTrainersTest {
  @TempDir Path dir;

  private static final ModelConfig SMALL = new ModelConfig(12, 24, 32, 1, 2, 1e-5);
  private static final OptimizerConfig OPTIMIZER =
      ConfigLoader.parse("rlhf4j.optimizer { learning-rate = 1e-2, warmup-steps = 0, "
          + "schedule = constant }", "t.conf").optimizer();
  private static final LoraConfig LORA = new LoraConfig(true, 4, 8, 0.0, List.of("c_attn", "c_fc"));

  private static RlhfConfig sftConfig(int steps) {
    return ConfigLoader.parse("""
        rlhf4j.model { d-model = 32, layers = 1, heads = 2, context-length = 48 }
        rlhf4j.sft { batch-size = 4, steps = %d, max-length = 48, checkpoint-every = 2 }
        rlhf4j.optimizer { learning-rate = 1e-2, warmup-steps = 2 }
        rlhf4j.lora { enabled = true, rank = 4, alpha = 8, dropout = 0.1, target-modules = [c_attn, c_proj] }
        """.formatted(steps), "test.conf");
  }

  private static TrainingRun.Result sft(RlhfConfig c, Path out, boolean resume,
      ProgressListener progress) throws IOException {
    Gpt gpt = new Gpt(c.model(), EnumSet.noneOf(Head.class), new VectorKernels(),
        RewardPooling.LAST, c.lora());
    try (RunDirectory d = RunDirectory.claim(out, RunDirectory.SFT, resume)) {
      return SftRun.run(new SftRun.Spec(c, gpt, gpt.initialParameters(c.run().seed(),
          DataType.FLOAT), new org.rlhf4j.model.tokenizer.ByteTokenizer(), SftRunTest.data(), d),
          progress);
    }
  }

  @Test
  void loraSftLowersTheLossMovingOnlyTheAdaptersAndItsCheckpointSaysSo() throws IOException {
    RlhfConfig c = sftConfig(30);
    Gpt gpt = new Gpt(c.model(), EnumSet.noneOf(Head.class), new VectorKernels(),
        RewardPooling.LAST, c.lora());
    ParameterStore start = gpt.initialParameters(c.run().seed(), DataType.FLOAT);
    List<Double> losses = new ArrayList<>();
    TrainingRun.Result r = sft(c, dir.resolve("run"), false,
        (done, total, name, value) -> losses.add(value));
    assertTrue(losses.get(losses.size() - 1) < losses.get(0) - 0.2, "loss " + losses);
    Checkpoint.Contents saved = Checkpoint.load(r.model(), DataType.FLOAT);
    assertEquals(c.lora(), saved.lora(), "rlhf4j.json records the adapters' settings");
    for (ParameterSpec s : saved.params().layout().specs()) {
      boolean same = saved.params().get(s.name()).equals(start.get(s.name()));
      assertEquals(GptLayout.isAdapter(s.name()), !same, s.name() + " moved iff it is an adapter");
    }
    // merged, the model is a plain GPT-2 of the base layout
    assertEquals(GptLayout.of(c.model(), EnumSet.noneOf(Head.class)),
        saved.merged().params().layout());
  }

  @Test
  void aResumedLoraRunEndsWithTheWeightsOfAnUninterruptedOne() throws IOException {
    RlhfConfig c = sftConfig(7);
    TrainingRun.Result straight = sft(c, dir.resolve("straight"), false, ProgressListener.none());
    Path out = dir.resolve("interrupted");
    assertThrows(IllegalStateException.class, () -> sft(c, out, false,
        (done, total, name, value) -> {
          if (done == 5) {
            throw new IllegalStateException("killed");
          }
        }));
    TrainingRun.Result resumed = sft(c, out, true, ProgressListener.none());
    assertEquals(Checkpoint.load(straight.model(), DataType.FLOAT).params().sha256(),
        Checkpoint.load(resumed.model(), DataType.FLOAT).params().sha256());
  }

  @Test
  void loraRewardModelRanksHeldOutPairsTrainingOnlyItsHeadAndAdapters() {
    Gpt gpt = new Gpt(SMALL, EnumSet.of(Head.REWARD), new VectorKernels(), RewardPooling.LAST,
        LORA);
    ParameterStore params = gpt.initialParameters(1, DataType.FLOAT);
    ParameterStore start = params.copy();
    RewardTrainer trainer = new RewardTrainer(gpt, params,
        new OptimizerStep(gpt.trainable(params), OPTIMIZER, 60, gpt.kernels()), 24, 0);
    List<PreferencePair> train = PreferenceTrainersTest.pairs(200, 1);
    for (int step = 0; step < 60; step++) {
      trainer.step(train.subList((step * 8) % 192, (step * 8) % 192 + 8), step);
    }
    double accuracy = trainer.accuracy(PreferenceTrainersTest.pairs(40, 99), 16);
    assertTrue(accuracy >= 0.9, "held-out accuracy " + accuracy);
    for (ParameterSpec s : params.layout().specs()) {
      boolean trains = gpt.trainableLayout().contains(s.name());
      assertEquals(trains, !params.get(s.name()).equals(start.get(s.name())), s.name());
    }
  }

  @Test
  void loraDpoStartsAtLn2WithThePolicysOwnBaseAsReferenceAndLearnsThePreference() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels(), RewardPooling.LAST,
        LORA);
    ParameterStore policy = gpt.initialParameters(1, DataType.FLOAT);
    ParameterStore base = gpt.merged(policy); // fresh adapters: B = 0, the base itself
    DpoTrainer trainer = new DpoTrainer(gpt, policy, policy,
        new OptimizerStep(gpt.trainable(policy), OPTIMIZER, 40, gpt.kernels()),
        DpoObjective.sigmoid(0.1), 24, 0);
    List<PreferencePair> train = PreferenceTrainersTest.pairs(160, 2);
    Map<String, Double> first = trainer.step(train.subList(0, 8), 0);
    assertEquals(Math.log(2), first.get(DpoTrainer.LOSS), 1e-6,
        "policy = reference before the first update");
    Map<String, Double> last = first;
    for (int step = 1; step < 40; step++) {
      last = trainer.step(train.subList((step * 8) % 152, (step * 8) % 152 + 8), step);
    }
    assertEquals(1.0, last.get(org.rlhf4j.learner.preference.DpoMetrics.REWARDS_ACCURACIES), 1e-9);
    assertNotEquals(base.sha256(), gpt.merged(policy).sha256(), "the adapters learned");
    // the reference (adapters off) is still the starting model
    assertEquals(base.sha256(), gpt.base().merged(baseOnly(gpt, policy)).sha256());
  }

  @Test
  void loraDpoAndRpoGradientsMatchFiniteDifferencesWithTheBaseAsReference() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new Nd4jKernels(), RewardPooling.LAST,
        LORA);
    ParameterStore policy = gpt.initialParameters(5, DataType.DOUBLE);
    policy.flat().addi(FiniteDifferences.random(6, 0.3, policy.flat().length()));
    List<PreferencePair> batch = PreferenceTrainersTest.pairs(3, 8);
    for (double rpoAlpha : new double[] {0, 0.5}) {
      DpoTrainer trainer = new DpoTrainer(gpt, policy, policy,
          new OptimizerStep(gpt.trainable(policy), OPTIMIZER, 1, gpt.kernels()),
          DpoObjective.sigmoid(0.5), 24, 0, true, rpoAlpha, 2, 1);
      ParameterStore g = gpt.trainable(policy).zerosLike();
      trainer.gradients(batch, g);
      DoubleSupplier loss = () -> trainer.gradients(batch, gpt.trainable(policy).zerosLike())
          .loss();
      for (ParameterSpec s : g.layout().specs()) {
        FiniteDifferences.check("rpo " + rpoAlpha + " " + s.name(), policy.get(s.name()),
            g.get(s.name()), loss, 8, 9, 1e-6);
      }
    }
  }

  /** The base tensors of {@code p}, as a store without adapters. */
  private static ParameterStore baseOnly(Gpt gpt, ParameterStore p) {
    ParameterStore out = ParameterStore.zeros(gpt.base().layout(), p.dtype());
    for (ParameterSpec s : out.layout().specs()) {
      out.get(s.name()).assign(p.get(s.name()));
    }
    return out;
  }
}
