package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.ForwardPass.BlockActivations;
import org.rlhf4j.model.kernels.VectorKernels;

/** A training step frees its native memory when done, not when the GC gets to it. */
class NativeMemoryTest {
  private static final ModelConfig SMALL = new ModelConfig(64, 32, 64, 2, 4, 1e-5);
  private static final List<int[]> SEQUENCES = List.of(new int[] {3, 1, 4, 1, 5, 9, 2, 6},
      new int[] {2, 7, 1, 8, 2, 8}, new int[] {1, 4, 1, 4, 2, 1, 3, 5});

  @Test
  void closingALossFreesEveryArrayItsPassOwns() {
    Gpt gpt = new Gpt(SMALL, EnumSet.of(Head.VALUE), new VectorKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    LanguageModelLoss loss = LanguageModelLoss.mean(gpt, p, batch, GptTest.nextTokenTargets(batch));
    loss.backward(p.zerosLike());
    // the logits became their own gradient: a second backward would add garbage, so it is refused
    assertThrows(IllegalStateException.class, () -> loss.backward(p.zerosLike()));
    List<INDArray> owned = owned(loss.pass());
    assertTrue(owned.size() > 30 && owned.stream().noneMatch(INDArray::wasClosed));
    loss.close();
    for (INDArray a : owned) {
      assertTrue(a.wasClosed(), "an array of the pass is still open: " + a.shapeInfoToString());
    }
  }

  /** The arrays a training pass allocated for itself (views belong to their owners). */
  private static List<INDArray> owned(ForwardPass pass) {
    List<INDArray> all = new ArrayList<>(List.of(pass.layerInputs));
    for (BlockActivations a : pass.blocks) {
      all.addAll(Arrays.asList(a.ln1, a.ln1Mean, a.ln1Rstd, a.qkv, a.q, a.k, a.v, a.att, a.attY,
          a.res2, a.ln2, a.ln2Mean, a.ln2Rstd, a.fc, a.gelu));
    }
    all.addAll(Arrays.asList(pass.lnf, pass.lnfMean, pass.lnfRstd, pass.logits, pass.lnfRows));
    return all.stream().filter(a -> a != null && !a.isView()).toList();
  }
}
