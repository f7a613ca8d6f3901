package org.rlhf4j.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.kernels.VectorKernels;

/**
 * Training steps keep resident memory flat once warm, and the trace that says so sees memory a
 * step keeps. Loose bounds: the kernel's count moves with the JIT and the heap's sizing.
 */
class ResidentMemoryTest {
  private static final long MB = 1_000_000;

  @Test
  void trainingStepsAfterWarmUpAddNoResidentMemory() {
    assumeTrue(ResidentMemory.available(), "no /proc/self/status here");
    Gpt gpt = new Gpt(new ModelConfig(64, 32, 32, 2, 4, 1e-5), EnumSet.noneOf(Head.class),
        new VectorKernels());
    ParameterStore params = gpt.initialParameters(0, DataType.FLOAT);
    Runnable step = TrainThroughput.step(gpt, params, 4, 32, new VectorKernels());
    ResidentMemory.Trace trace = ResidentMemory.trace(step, 300, (done, total, bytes) -> { });
    // a step that kept its activations (~0.7 MB for 4 x 32 tokens in 2 blocks) would add 190 MB
    assertTrue(trace.growthAfterFirstTenth() < 64 * MB, "grew by "
        + trace.growthAfterFirstTenth() / MB + " MB over 270 steps, from "
        + trace.afterFirstTenth() / MB + " MB");
  }

  @Test
  void aStepThatKeepsWhatItAllocatesShowsInTheTrace() {
    assumeTrue(ResidentMemory.available(), "no /proc/self/status here");
    List<INDArray> kept = new ArrayList<>();
    // 1 MB of native memory a step, written so that its pages are resident
    Runnable leaky = () -> kept.add(Nd4j.zeros(DataType.FLOAT, 262_144).addi(1));
    ResidentMemory.Trace trace = ResidentMemory.trace(leaky, 200, (done, total, bytes) -> { });
    assertTrue(trace.growthAfterFirstTenth() > 150 * MB, "grew by only "
        + trace.growthAfterFirstTenth() / MB + " MB while keeping 180 MB");
    assertTrue(trace.peak() >= trace.last());
  }
}
