package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * A training step frees or returns its native memory when done, not when the GC gets to it, and
 * a repeated step reuses what it returned.
 */
class NativeMemoryTest {
  // the Java objects of a step (ND4J's array wrappers and op descriptors): measured, with room
  private static final long HEAP_PER_STEP = 2_000_000;
  private static final int WARM_UP_STEPS = 400;
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
    assertTrue(owned.size() > 20 && owned.stream().noneMatch(INDArray::wasClosed));
    loss.close();
    for (INDArray a : owned) {
      assertTrue(a.wasClosed() || ArrayPool.SHARED.holds(a),
          "an array of the pass is neither freed nor back in the pool: " + a.shapeInfoToString());
    }
  }

  @Test
  void aRepeatedTrainingStepTakesEveryBufferFromThePoolAndGivesItBack() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = gpt.initialParameters(2, DataType.FLOAT);
    ParameterStore g = p.zerosLike();
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    int[] targets = GptTest.nextTokenTargets(batch);
    Runnable step = () -> {
      g.zero();
      try (LanguageModelLoss loss = LanguageModelLoss.mean(gpt, p, batch, targets)) {
        loss.backward(g);
      }
    };
    for (int i = 0; i < WARM_UP_STEPS; i++) {
      step.run(); // until the JIT has compiled the kernels: its first tiers box every vector
    }
    ArrayPool pool = ArrayPool.SHARED;
    long allocations = pool.allocations();
    long live = pool.liveBytes();
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long heap = threads.getCurrentThreadAllocatedBytes();
    int steps = 5;
    for (int i = 0; i < steps; i++) {
      step.run();
    }
    long heapPerStep = (threads.getCurrentThreadAllocatedBytes() - heap) / steps;
    System.out.printf("pooled training step: %d new buffers, %d bytes of heap per step%n",
        pool.allocations() - allocations, heapPerStep);
    assertEquals(allocations, pool.allocations(), "a warm step allocated a native buffer");
    assertEquals(live, pool.liveBytes(), "a step kept a pooled buffer after it was done");
    assertTrue(heapPerStep < HEAP_PER_STEP, "a step allocated " + heapPerStep + " heap bytes");
  }

  @Test
  void aRecomputingPassKeepsOnlyWhatItsBackwardCannotCheaplyComputeAgain() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels()).recomputing(true);
    ParameterStore p = gpt.initialParameters(3, DataType.FLOAT);
    TokenBatch batch = TokenBatch.rightPadded(SEQUENCES, 0);
    long before = ArrayPool.SHARED.liveBytes();
    try (ForwardPass pass = gpt.forward(p, batch, EnumSet.of(Output.LOGITS))) {
      long n = batch.rows();
      long c = SMALL.dModel();
      long t = batch.length();
      // per block: its input, qkv, attention output, residual, MLP pre-activation, LN statistics
      long block = n * c + 3 * n * c + n * c + n * c + 4 * n * c + 4 * n;
      long rest = n * c + (n * c + 2 * n) + batch.batch() * SMALL.heads() * t * t
          + n * SMALL.vocabSize(); // body output, final LayerNorm, attention mask, logits
      assertEquals(Float.BYTES * (SMALL.layers() * block + rest),
          ArrayPool.SHARED.liveBytes() - before, "pooled bytes a forward keeps");
      for (BlockActivations a : pass.blocks) {
        assertTrue(a.ln1 == null && a.ln2 == null && a.gelu == null && a.att == null,
            "a block kept an activation its backward computes again");
      }
    }
    assertEquals(before, ArrayPool.SHARED.liveBytes());
  }

  /** The arrays a training pass allocated for itself (views belong to their owners). */
  private static List<INDArray> owned(ForwardPass pass) {
    List<INDArray> all = new ArrayList<>(List.of(pass.layerInputs));
    for (BlockActivations a : pass.blocks) {
      all.addAll(Arrays.asList(a.ln1, a.ln1Mean, a.ln1Rstd, a.qkv, a.q, a.k, a.v, a.att, a.attY,
          a.res2, a.ln2, a.ln2Mean, a.ln2Rstd, a.fc, a.gelu));
    }
    all.addAll(Arrays.asList(pass.mask, pass.lnf, pass.lnfMean, pass.lnfRstd, pass.logits, pass.lnfRows));
    return all.stream().filter(a -> a != null && !a.isView()).toList();
  }
}
