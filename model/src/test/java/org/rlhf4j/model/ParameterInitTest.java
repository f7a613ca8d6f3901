package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.VectorKernels;

class ParameterInitTest {
  // wte holds 300 × 256 = 76,800 floats: more than one of the initialisation's chunks
  private static final Gpt GPT = new Gpt(new ModelConfig(300, 16, 256, 1, 4, 1e-5),
      EnumSet.noneOf(Head.class), new VectorKernels());

  @Test
  void theFirstTensorHoldsTheSeedsFirstDrawsAcrossChunks() {
    ParameterStore p = GPT.initialParameters(7, DataType.FLOAT);
    assertEquals("wte.weight", p.layout().specs().get(0).name());
    INDArray wte = p.get("wte.weight").reshape(-1);
    SplittableRandom rng = new SplittableRandom(7);
    for (long i = 0; i < wte.length(); i++) {
      double u1 = rng.nextDouble();
      double u2 = rng.nextDouble();
      float expected = (float) (Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2)
          * 0.02);
      assertEquals(expected, wte.getFloat(i), 0.0f, "element " + i);
    }
  }

  @Test
  void theSameSeedGivesTheSameWeightsInEveryPrecision() {
    ParameterStore single = GPT.initialParameters(3, DataType.FLOAT);
    ParameterStore twice = GPT.initialParameters(3, DataType.FLOAT);
    ParameterStore wide = GPT.initialParameters(3, DataType.DOUBLE);
    assertEquals(single.sha256(), twice.sha256());
    assertEquals(single.sha256(), wide.copy(DataType.FLOAT).sha256());
    assertEquals(1.0, single.get("h.0.ln_1.weight").meanNumber().doubleValue());
  }
}
