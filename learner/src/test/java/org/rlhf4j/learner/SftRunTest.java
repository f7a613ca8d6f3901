package org.rlhf4j.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.model.tokenizer.ByteTokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;

class SftRunTest {
  @TempDir Path dir;

  private static final Tokenizer TOKENIZER = new ByteTokenizer();

  static RlhfConfig config(int steps) {
    return ConfigLoader.parse("""
        rlhf4j.model { d-model = 32, layers = 1, heads = 2, context-length = 48 }
        rlhf4j.sft { batch-size = 4, steps = %d, max-length = 48, checkpoint-every = 2 }
        rlhf4j.optimizer { learning-rate = 3e-3, warmup-steps = 2 }
        """.formatted(steps), "test.conf");
  }

  static List<SftTrainer.Example> data() {
    List<SftTrainer.Example> out = new ArrayList<>();
    String[][] pairs = {{"2+2=", "4"}, {"hi ", "there"}, {"sky is ", "blue"}, {"cats ", "purr"},
        {"1+1=", "2"}, {"up and ", "down"}};
    for (String[] p : pairs) {
      int[] completion = TOKENIZER.encode(p[1]);
      int[] withEos = java.util.Arrays.copyOf(completion, completion.length + 1);
      withEos[completion.length] = TOKENIZER.eosId();
      out.add(new SftTrainer.Example(TOKENIZER.encode(p[0]), withEos));
    }
    return out;
  }

  static SftRun.Spec spec(RlhfConfig c, RunDirectory out) {
    Gpt gpt = new Gpt(c.model(), EnumSet.noneOf(Head.class), new VectorKernels());
    return new SftRun.Spec(c, gpt, gpt.initialParameters(c.run().seed(), DataType.FLOAT),
        TOKENIZER, data(), out);
  }

  /** An SFT run in {@code out}, claimed for it and released after, as the CLI does. */
  static TrainingRun.Result run(RlhfConfig c, Path out, boolean resume, ProgressListener progress)
      throws IOException {
    try (RunDirectory d = RunDirectory.claim(out, RunDirectory.SFT, resume)) {
      return SftRun.run(spec(c, d), progress);
    }
  }

  @Test
  void trainingLowersTheLossAndMovesEveryParameter() throws IOException {
    RlhfConfig c = config(40);
    SftRun.Spec spec = spec(c, null);
    List<Double> losses = new ArrayList<>();
    TrainingRun.Result result;
    try (RunDirectory out = RunDirectory.claim(dir.resolve("run"), RunDirectory.SFT, false)) {
      result = SftRun.run(new SftRun.Spec(c, spec.gpt(), spec.initial(), TOKENIZER, spec.data(),
          out), (done, total, name, value) -> losses.add(value));
    }
    assertEquals(40, losses.size());
    System.out.printf("sft loss %.3f -> %.3f%n", losses.get(0), result.keyMetric());
    assertTrue(result.keyMetric() < 0.5 * losses.get(0), losses.toString());
    ParameterStore trained = Checkpoint.load(result.model(), DataType.FLOAT).params();
    for (ParameterSpec s : trained.layout().specs()) {
      assertNotEquals(0.0, trained.get(s.name()).sub(spec.initial().get(s.name())).amaxNumber()
          .doubleValue(), s.name() + " did not move");
    }
  }

  @Test
  void aResumedRunEndsWithTheWeightsOfAnUninterruptedOne() throws IOException {
    RlhfConfig c = config(7);
    TrainingRun.Result straight = run(c, dir.resolve("straight"), false, ProgressListener.none());

    Path out = dir.resolve("interrupted");
    // a "kill" after step 5: the newest checkpoint is step 4
    assertThrows(IllegalStateException.class, () -> run(c, out, false,
        (done, total, name, value) -> {
          if (done == 5) {
            throw new IllegalStateException("killed");
          }
        }));
    TrainingRun.Result resumed = run(c, out, true, ProgressListener.none());
    assertEquals(Checkpoint.load(straight.model(), DataType.FLOAT).params().sha256(),
        Checkpoint.load(resumed.model(), DataType.FLOAT).params().sha256());
    List<Long> steps = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      steps.add(new ObjectMapper().readTree(line).get("step").asLong());
    }
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), steps);
  }

  @Test
  void anExistingRunIsNeverOverwrittenWithoutResume() throws IOException {
    RlhfConfig c = config(2);
    Path out = dir.resolve("taken");
    run(c, out, false, ProgressListener.none());
    RunDirectoryException e = assertThrows(RunDirectoryException.class,
        () -> run(c, out, false, ProgressListener.none()));
    assertTrue(e.getMessage().contains("--resume"), e.getMessage());
  }

  @Test
  void batchesAreAFunctionOfTheStepAndCoverEveryExamplePerEpoch() {
    RlhfConfig c = config(2);
    SftRun.Spec s = spec(c, null);
    SftTrainer trainer = new SftTrainer(s.gpt(), s.initial(), new OptimizerStep(s.initial(),
        c.optimizer(), 2, s.gpt().kernels()), c.sft(), s.data(), 1, 0);
    assertEquals(trainer.batchOf(3), trainer.batchOf(3));
    List<SftTrainer.Example> epoch = new ArrayList<>(trainer.batchOf(0));
    epoch.addAll(trainer.batchOf(1).subList(0, 2)); // 6 examples, batch 4
    assertEquals(6, epoch.stream().distinct().count());
  }
}
