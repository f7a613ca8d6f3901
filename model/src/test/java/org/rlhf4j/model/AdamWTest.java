package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;

/** Weight decay reaches exactly the matrices and embeddings, through ranges, not a mask. */
class AdamWTest {
  private static final Gpt GPT = new Gpt(new ModelConfig(29, 12, 16, 2, 2, 1e-5),
      EnumSet.of(Head.VALUE), new VectorKernels());

  @Test
  void decayedRangesCoverTheMatricesMergedAndNothingElse() {
    ParameterLayout layout = GPT.layout();
    long[] ranges = AdamW.decayedRanges(layout);
    for (int r = 0; r + 2 < ranges.length; r += 2) {
      assertTrue(ranges[r] < ranges[r + 1] && ranges[r + 1] < ranges[r + 2],
          "ranges ascend, and neighbours are merged");
    }
    for (ParameterSpec spec : layout.specs()) {
      for (long i : new long[] {spec.offset(), spec.offset() + spec.size() - 1}) {
        assertEquals(GptLayout.decays(spec), inRanges(ranges, i), spec.name() + " at " + i);
      }
    }
    // wte and wpe lie next to each other: one range from 0
    assertEquals(0, ranges[0]);
    assertEquals(layout.spec("wpe.weight").offset() + layout.spec("wpe.weight").size(), ranges[1]);
  }

  @Test
  void withoutGradientOnlyTheDecayingTensorsShrink() {
    for (var kernels : new org.rlhf4j.model.kernels.Kernels[] {new VectorKernels(),
        new Nd4jKernels()}) {
      ParameterStore p = GPT.initialParameters(5, DataType.FLOAT);
      p.flat().addi(0.5f); // biases and LayerNorms start at 0 and 1: make every value nonzero
      ParameterStore before = p.copy();
      AdamW adamw = new AdamW(p, new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), kernels);
      adamw.update(p, p.zerosLike(), 0.5); // m = v = 0: the Adam term is 0
      for (ParameterSpec spec : p.layout().specs()) {
        INDArray expected = GptLayout.decays(spec)
            ? before.get(spec.name()).mul(1 - 0.5f * 0.1f) : before.get(spec.name());
        double diff = expected.sub(p.get(spec.name())).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, kernels.getClass().getSimpleName() + ": " + spec.name()
            + " off by " + diff);
      }
    }
  }

  private static boolean inRanges(long[] ranges, long i) {
    for (int r = 0; r < ranges.length; r += 2) {
      if (i >= ranges[r] && i < ranges[r + 1]) {
        return true;
      }
    }
    return false;
  }
}
