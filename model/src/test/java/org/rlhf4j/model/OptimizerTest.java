package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.Nd4jKernels;

class OptimizerTest {
  private static final ModelConfig TINY = new ModelConfig(11, 8, 8, 2, 2, 1e-5);

  @Test
  void weightDecayReachesMatricesButNotBiasesOrLayerNorm() {
    Gpt gpt = new Gpt(TINY, EnumSet.of(Head.VALUE), new Nd4jKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.DOUBLE);
    p.flat().assign(1.0);
    AdamW adamw = new AdamW(p, new AdamW.Settings(0.9, 0.95, 1e-8, 0.5), gpt.kernels());
    adamw.update(p, p.zerosLike(), 0.1); // zero gradient: only decay moves anything
    assertEquals(1.0 - 0.1 * 0.5, p.get("h.0.attn.c_attn.weight").getDouble(0, 0), 1e-12);
    assertEquals(1.0 - 0.1 * 0.5, p.get("wte.weight").getDouble(3, 2), 1e-12);
    assertEquals(1.0, p.get("h.0.attn.c_attn.bias").getDouble(0), 0.0);
    assertEquals(1.0, p.get("ln_f.weight").getDouble(0), 0.0);
    assertEquals(1.0, p.get("v_head.summary.bias").getDouble(0), 0.0);
    assertEquals(1, adamw.step());
  }

  @Test
  void trainingOnOneBatchDrivesTheLossDownAndMovesEveryParameter() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore p = gpt.initialParameters(3, DataType.FLOAT);
    ParameterStore before = p.copy();
    TokenBatch batch = TokenBatch.rightPadded(
        List.of(new int[] {1, 2, 3, 4, 5, 6}, new int[] {6, 5, 4, 3}), 0);
    int[] targets = GptTest.nextTokenTargets(batch);
    AdamW adamw = new AdamW(p, AdamW.Settings.gpt(), gpt.kernels());
    ParameterStore g = p.zerosLike();
    double first = 0;
    double last = 0;
    for (int step = 0; step < 60; step++) {
      g.zero();
      LanguageModelLoss loss = LanguageModelLoss.mean(gpt, p, batch, targets);
      loss.backward(g);
      GradientClipping.clipGlobalNorm(g, 1.0);
      adamw.update(p, g, 1e-2);
      if (step == 0) {
        first = loss.loss();
      }
      last = loss.loss();
    }
    System.out.printf("loss %.4f -> %.4f%n", first, last);
    assertEquals(Math.log(11), first, 0.1); // an untrained model is near uniform over 11 tokens
    assertTrue(last < 0.2 * first, "loss went from " + first + " to " + last);
    for (ParameterSpec spec : p.layout().specs()) {
      assertNotEquals(0.0, p.get(spec.name()).sub(before.get(spec.name())).amaxNumber()
          .doubleValue(), spec.name() + " did not change");
    }
  }

  @Test
  void clippingScalesToTheMaximumNormAndReportsTheOriginal() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore g = ParameterStore.zeros(gpt.layout(), DataType.DOUBLE);
    g.get("ln_f.bias").putScalar(0, 3.0);
    g.get("wte.weight").putScalar(new long[] {0, 0}, 4.0);
    assertEquals(5.0, GradientClipping.clipGlobalNorm(g, 1.0), 1e-12);
    assertEquals(1.0, g.flat().norm2Number().doubleValue(), 1e-6);
    assertEquals(0.6, g.get("ln_f.bias").getDouble(0), 1e-6);
    // below the maximum nothing changes
    assertEquals(1.0, GradientClipping.clipGlobalNorm(g, 2.0), 1e-6);
    assertEquals(0.6, g.get("ln_f.bias").getDouble(0), 1e-6);
  }

  @Test
  void aNonFiniteGradientIsReportedAndLeftForTheCallerToSkip() {
    Gpt gpt = new Gpt(TINY, EnumSet.noneOf(Head.class), new Nd4jKernels());
    ParameterStore g = ParameterStore.zeros(gpt.layout(), DataType.FLOAT);
    g.get("ln_f.bias").putScalar(0, Double.NaN);
    assertTrue(Double.isNaN(GradientClipping.clipGlobalNorm(g, 1.0)));
  }

  @Test
  void cosineScheduleWarmsUpThenDecaysToItsFloor() {
    LearningRateSchedule s = LearningRateSchedule.warmupCosine(1.0, 10, 110, 0.1);
    assertEquals(0.1, s.at(0), 1e-12);
    assertEquals(1.0, s.at(9), 1e-12);
    assertEquals(1.0, s.at(10), 1e-12);
    assertEquals(0.1 + 0.9 * 0.5, s.at(60), 1e-12); // halfway: cos(π/2) = 0
    assertEquals(0.1, s.at(110), 1e-12);
    assertEquals(0.1, s.at(500), 1e-12);
  }

  @Test
  void linearScheduleWarmsUpThenDecaysLinearly() {
    LearningRateSchedule s = LearningRateSchedule.warmupLinear(2.0, 4, 104, 0.0);
    assertEquals(0.5, s.at(0), 1e-12);
    assertEquals(2.0, s.at(4), 1e-12);
    assertEquals(1.0, s.at(54), 1e-12);
    assertEquals(0.0, s.at(104), 1e-12);
    assertThrows(IllegalArgumentException.class,
        () -> LearningRateSchedule.warmupLinear(1, 10, 5, 0));
  }

  @Test
  void threadCountIsPerCallingThread() throws InterruptedException {
    int[] seen = new int[2];
    Thread one = new Thread(() -> {
      TensorThreads.bindCurrentThread(1);
      seen[0] = TensorThreads.currentThread();
    });
    Thread two = new Thread(() -> {
      TensorThreads.bindCurrentThread(2);
      seen[1] = TensorThreads.currentThread();
    });
    one.start();
    one.join();
    two.start();
    two.join();
    assertEquals(1, seen[0]);
    assertEquals(2, seen[1]);
  }

  @Test
  void openBlasUsesTheLargestThreadCountAskedForNotOnePerCore() {
    int before = TensorThreads.blasThreads();
    TensorThreads.bindCurrentThread(1);
    assertEquals(Math.max(1, before), org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads());
    TensorThreads.bindCurrentThread(before + 1);
    assertEquals(before + 1, org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads());
    assertEquals(before + 1, TensorThreads.blasThreads());
  }
}
