package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.model.tokenizer.ByteTokenizer;

class DivergenceTest {
  @TempDir Path dir;

  private static final RlhfConfig CONFIG = ConfigLoader.parse("""
      rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 16 }
      rlhf4j.optimizer { max-bad-steps = 3, warmup-steps = 0, schedule = constant }
      """, "t.conf");

  @Test
  void aNonFiniteStepIsSkippedAndCountedAndTheWeightsStayPut() {
    Gpt gpt = new Gpt(CONFIG.model(), EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    String before = p.sha256();
    OptimizerStep step = new OptimizerStep(p, CONFIG.optimizer(), 10, gpt.kernels());
    ParameterStore grads = p.zerosLike();
    grads.flat().assign(0.01);
    OptimizerStep.Outcome nanLoss = step.apply(p, grads, Double.NaN, 0);
    assertTrue(nanLoss.skipped());
    grads.get("ln_f.bias").putScalar(0, Float.POSITIVE_INFINITY);
    assertTrue(step.apply(p, grads, 1.0, 1).skipped());
    assertEquals(before, p.sha256());
    assertEquals(2, step.skipped());
    grads.flat().assign(0.01);
    assertTrue(!step.apply(p, grads, 1.0, 2).skipped(), "a finite step after bad ones applies");
    assertEquals(2, step.skipped());
  }

  @Test
  void tooManyBadStepsInARowStopTheRunWithACheckpointOfTheLastGoodWeights() throws Exception {
    Gpt gpt = new Gpt(CONFIG.model(), EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    OptimizerStep optimizer = new OptimizerStep(p, CONFIG.optimizer(), 10, gpt.kernels());
    ParameterStore grads = p.zerosLike();
    // fault injection: from step 2 on the loss is NaN
    TrainingRun.Stage stage = new SingleModelStage(gpt, p, optimizer, new ByteTokenizer(), 10, 100,
        "loss", s -> {
          grads.flat().assign(0.01);
          double loss = s < 2 ? 1.0 : Double.NaN;
          optimizer.apply(p, grads, loss, s);
          return Map.of("loss", loss);
        });
    TrainingDivergedException e;
    try (RunDirectory run = RunDirectory.claim(dir.resolve("run"), RunDirectory.SFT, false)) {
      e = assertThrows(TrainingDivergedException.class,
          () -> TrainingRun.run(run, CONFIG, stage, ProgressListener.none()));
    }
    assertTrue(e.getMessage().contains("3 consecutive non-finite steps"), e.getMessage());
    Path saved = dir.resolve("run/checkpoints/step-4");
    assertTrue(e.getMessage().contains(saved.toString()), e.getMessage());
    assertTrue(Files.exists(saved.resolve("model.safetensors")));
    assertEquals(p.sha256(), Checkpoint.load(saved, DataType.FLOAT).params().sha256());
  }
}
