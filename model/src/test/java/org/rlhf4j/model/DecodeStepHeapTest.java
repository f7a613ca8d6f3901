package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.OptimizingCompiler;
import org.rlhf4j.model.kernels.VectorKernels;

/**
 * A warm decode step of the peer's S shape (2 blocks of width 128; 16 rows, and 8, whose logits
 * take LaneTreeLogits where ND4J sums in lanes) allocates little Java
 * heap: wrappers and op objects, never an object per vector operation. Measured on the decoder,
 * not only on each kernel ({@code KernelHeapTest}), because whether C2 keeps a kernel's vectors in
 * registers depends on what it compiled before: GELU's were boxed only inside a decode.
 */
class DecodeStepHeapTest {
  private static final ModelConfig S = new ModelConfig(256, 128, 128, 2, 4, 1e-5);
  private static final int PROMPT = 16;
  private static final int NEW_TOKENS = 64;
  private static final int WARM_BATCHES = 15;
  private static final int MEASURED_BATCHES = 4;
  // 86-91 KB measured on 2026-12-03 (ND4J op objects and buffer wrappers); the boxed attention
  // made it 1.7 MB, and a boxed GELU 138 KB in this test (450 KB in a sampling run)
  private static final long BOUND = 120 * 1024;

  @ParameterizedTest
  @ValueSource(ints = {16, 8})
  void aWarmDecodeStepAllocatesOnlyWrappers(int rows) {
    OptimizingCompiler.assumeC2();
    Gpt gpt = new Gpt(S, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = gpt.initialParameters(3, DataType.FLOAT);
    Decoder decoder = gpt.decoder(rows, PROMPT + NEW_TOKENS, DataType.FLOAT);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    SplittableRandom rng = new SplittableRandom(4);
    int[] promptIds = new int[rows * PROMPT];
    int[] promptMask = new int[rows * PROMPT];
    Arrays.fill(promptMask, 1);
    int[] ids = new int[rows];
    int[] mask = new int[rows];
    Arrays.fill(mask, 1);
    int steps = NEW_TOKENS - 1;
    long[] bytes = new long[MEASURED_BATCHES * steps];
    for (int batch = 0; batch < WARM_BATCHES + MEASURED_BATCHES; batch++) {
      decoder.reset();
      Arrays.setAll(promptIds, i -> rng.nextInt(S.vocabSize()));
      decoder.step(p, promptIds, promptMask);
      for (int step = 0; step < steps; step++) {
        Arrays.setAll(ids, i -> rng.nextInt(S.vocabSize()));
        long before = threads.getThreadAllocatedBytes(thread);
        decoder.step(p, ids, mask);
        long used = threads.getThreadAllocatedBytes(thread) - before;
        if (batch >= WARM_BATCHES) {
          bytes[(batch - WARM_BATCHES) * steps + step] = used;
        }
      }
    }
    Arrays.sort(bytes);
    long median = bytes[bytes.length / 2];
    System.out.printf("warm S decode step, %d rows: median %,d bytes of heap%n", rows, median);
    assertTrue(median <= BOUND, "a warm decode step allocates " + median + " bytes");
  }
}
