package org.rlhf4j.actors.weights;

import java.util.EnumSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;

/** Policy versions of a tiny model (27,424 floats) for tests of weights on the wire. */
public final class TinyWeights {
  private static final Gpt GPT = new Gpt(new ModelConfig(37, 24, 32, 2, 4, 1e-5),
      EnumSet.noneOf(Head.class), new VectorKernels());

  private TinyWeights() {}

  /** Parameters that differ from version to version. */
  public static ParameterStore params(long seed) {
    ParameterStore p = GPT.initialParameters(seed, DataType.FLOAT);
    p.flat().addi(Nd4j.rand(DataType.FLOAT, p.flat().length()).subi(0.5));
    return p;
  }
}
