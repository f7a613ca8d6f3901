package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Once compiled, the Vector API kernels allocate only their few buffer wrappers per call, however
 * many elements they touch. A vector that C2 cannot keep in registers (one passed to a method it
 * did not inline, or merged from two branches) becomes a heap object per operation: that is what
 * made a decode step allocate 450 KB and run GELU and attention several times slower.
 */
class KernelHeapTest {
  private static final int CALLS = 2500;
  private static final int MEASURED = 500; // the last calls, compiled by C2 long before
  private static final long BOUND = 8 * 1024; // bytes per call; boxing costs >= 40 KB here
  private static final int ROWS = 32;
  private static final int WIDTH = 512; // 16,384 elements: >= 1,024 vectors of up to 16 lanes

  private final Kernels fast = new VectorKernels();
  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static INDArray random(long seed, long... shape) {
    return FiniteDifferences.random(seed, 1, shape).castTo(DataType.FLOAT);
  }

  /** Runs {@code kernel} CALLS times and asserts the median heap bytes of the last calls. */
  private void assertWarmCallsAllocateLittle(String name, Runnable kernel) {
    OptimizingCompiler.assumeC2();
    long thread = Thread.currentThread().getId();
    long[] bytes = new long[MEASURED];
    for (int call = 0; call < CALLS; call++) {
      long before = threads.getThreadAllocatedBytes(thread);
      kernel.run();
      long used = threads.getThreadAllocatedBytes(thread) - before;
      if (call >= CALLS - MEASURED) {
        bytes[call - (CALLS - MEASURED)] = used;
      }
    }
    Arrays.sort(bytes);
    long median = bytes[MEASURED / 2];
    System.out.printf("%-22s median %,d bytes per warm call%n", name, median);
    assertTrue(median <= BOUND, name + " allocates " + median + " bytes per warm call");
  }

  @Test
  void elementwiseKernelsAllocateOnlyWrappers() {
    INDArray x = random(1, ROWS, WIDTH);
    INDArray dy = random(2, ROWS, WIDTH);
    INDArray out = Nd4j.create(DataType.FLOAT, ROWS, WIDTH);
    INDArray dx = Nd4j.zeros(DataType.FLOAT, ROWS, WIDTH);
    assertWarmCallsAllocateLittle("geluForward", () -> fast.geluForward(out, x));
    assertWarmCallsAllocateLittle("geluBackward", () -> fast.geluBackward(dx, dy, x));
    assertWarmCallsAllocateLittle("softmaxForward", () -> fast.softmaxForward(out, x));
    assertWarmCallsAllocateLittle("softmaxBackward", () -> fast.softmaxBackward(dx, dy, out));
  }

  @Test
  void packedAttentionAllocatesOnlyWrappers() {
    int b = 2;
    int nh = 4;
    int t = 64;
    int hs = 32;
    INDArray qkv = random(20, (long) b * t, 3L * nh * hs);
    float[] m = new float[b * nh * t * t];
    for (int r = 0; r < m.length; r++) {
      m[r] = r % t <= r / t % t ? 0f : Float.NEGATIVE_INFINITY; // causal
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(b, nh, t, t);
    INDArray y = Nd4j.create(DataType.FLOAT, (long) b * t, (long) nh * hs);
    INDArray att = Nd4j.create(DataType.FLOAT, b, nh, t, t);
    INDArray dy = random(21, (long) b * t, (long) nh * hs);
    INDArray dqkv = Nd4j.zeros(DataType.FLOAT, (long) b * t, 3L * nh * hs);
    assertWarmCallsAllocateLittle("packedAttentionForward",
        () -> fast.packedAttentionForward(y, att, qkv, mask, nh));
    assertWarmCallsAllocateLittle("packedAttentionBackward",
        () -> fast.packedAttentionBackward(dqkv, dy, qkv, att, mask, nh));
  }

  @Test
  void layerNormAllocatesOnlyWrappers() {
    INDArray x = random(3, ROWS, WIDTH);
    INDArray w = random(4, WIDTH);
    INDArray b = random(5, WIDTH);
    INDArray out = Nd4j.create(DataType.FLOAT, ROWS, WIDTH);
    INDArray mean = Nd4j.create(DataType.FLOAT, ROWS);
    INDArray rstd = Nd4j.create(DataType.FLOAT, ROWS);
    INDArray dx = Nd4j.zeros(DataType.FLOAT, ROWS, WIDTH);
    INDArray dw = Nd4j.zeros(DataType.FLOAT, WIDTH);
    INDArray db = Nd4j.zeros(DataType.FLOAT, WIDTH);
    assertWarmCallsAllocateLittle("layerNormForward",
        () -> fast.layerNormForward(out, mean, rstd, x, w, b, 1e-5));
    assertWarmCallsAllocateLittle("layerNormBackward",
        () -> fast.layerNormBackward(dx, dw, db, out, x, w, mean, rstd));
  }

  @Test
  void embeddingCrossEntropyAndAdamwAllocateOnlyWrappers() {
    INDArray table = random(6, 64, WIDTH);
    INDArray out = Nd4j.create(DataType.FLOAT, ROWS, WIDTH);
    int[] rows = new int[ROWS];
    Arrays.setAll(rows, i -> (i * 7) % 64);
    assertWarmCallsAllocateLittle("embeddingForward", () -> fast.embeddingForward(out, table, rows));
    INDArray dtable = Nd4j.zeros(DataType.FLOAT, 64, WIDTH);
    assertWarmCallsAllocateLittle("embeddingBackward",
        () -> fast.embeddingBackward(dtable, out, rows));

    INDArray logits = random(7, ROWS, WIDTH);
    INDArray probs = Nd4j.create(DataType.FLOAT, ROWS, WIDTH);
    INDArray losses = Nd4j.create(DataType.FLOAT, ROWS);
    INDArray dlosses = random(8, ROWS);
    int[] targets = new int[ROWS];
    Arrays.setAll(targets, i -> (i * 31) % WIDTH);
    assertWarmCallsAllocateLittle("crossEntropyForward",
        () -> fast.crossEntropyForward(losses, probs, logits, targets));
    INDArray dlogits = Nd4j.zeros(DataType.FLOAT, ROWS, WIDTH);
    assertWarmCallsAllocateLittle("crossEntropyBackward",
        () -> fast.crossEntropyBackward(dlogits, dlosses, probs, targets));

    INDArray params = random(9, ROWS * WIDTH);
    INDArray grads = random(10, ROWS * WIDTH).muli(1e-3);
    INDArray m = Nd4j.zeros(DataType.FLOAT, ROWS * WIDTH);
    INDArray v = Nd4j.zeros(DataType.FLOAT, ROWS * WIDTH);
    long[] decay = {0, ROWS * WIDTH / 2};
    long[] step = {0};
    assertWarmCallsAllocateLittle("adamwUpdate", () -> fast.adamwUpdate(params, grads, m, v,
        decay, ++step[0], 1e-4, 0.9, 0.999, 1e-8, 0.01));
  }

  @Test
  void decodeProductAllocatesOnlyWrappers() {
    // a decode step's MLP at S: 16 rows, 128 -> 512 with a bias, then 512 -> 128
    INDArray x = random(20, 16, 128);
    INDArray w = random(21, 128, 512);
    INDArray b = random(22, 512);
    INDArray h = Nd4j.create(DataType.FLOAT, 16, 512);
    INDArray w2 = random(23, 512, 128);
    INDArray y = Nd4j.create(DataType.FLOAT, 16, 128);
    assertWarmCallsAllocateLittle("matmulForward 16 rows", () -> {
      fast.matmulForward(h, x, w, b);
      fast.matmulForward(y, h, w2, null);
    });
  }

  @Test
  void decodeAttentionAllocatesOnlyWrappersAndScratch() {
    // a decode step's shape: 16 rows, 8 heads of 64, a cache of 96 with its last third unfilled
    INDArray q = random(11, 16, 8, 1, 64);
    INDArray keys = random(12, 16, 8, 96 / Kernels.KEY_BLOCK, 64, Kernels.KEY_BLOCK);
    INDArray v = random(13, 16, 8, 96, 64);
    float[] m = new float[16 * 8 * 96];
    for (int i = 0; i < m.length; i++) {
      m[i] = i % 96 >= 64 ? Float.NEGATIVE_INFINITY : 0f;
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(16, 8, 1, 96);
    INDArray y = Nd4j.create(DataType.FLOAT, 16, 8, 1, 64);
    INDArray att = Nd4j.create(DataType.FLOAT, 16, 8, 1, 96);
    assertWarmCallsAllocateLittle("cachedAttentionForward (one query)",
        () -> fast.cachedAttentionForward(y, att, q, keys, v, mask));
  }
}
