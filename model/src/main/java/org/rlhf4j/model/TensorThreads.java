package org.rlhf4j.model;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Sets how many threads ND4J uses for the model copy that runs on the calling thread.
 *
 * <p>Measured here: the OpenMP thread count is per calling thread and governs the oneDNN GEMM
 * (234 GFLOP/s with 1, 403-438 with 2), so each model copy, on its own thread, can have its own;
 * ND4J's element-wise ops share one process-wide pool, sized to the largest request; so do the
 * products ND4J hands to OpenBLAS (those accumulating into their output, for one).
 */
public final class TensorThreads {
  // ND4J starts OpenBLAS with a thread per core; its idle workers spin (sched_yield) between
  // products, so a run asked to use one thread kept the second core busy (BENCHMARKS.md)
  private static int blasThreads;

  private TensorThreads() {}

  /** Uses {@code threads} threads for tensor work issued from the calling thread. */
  public static void bindCurrentThread(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    Nd4j.getBackend(); // NativeOpsHolder needs the backend's properties loaded first
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    synchronized (TensorThreads.class) {
      if (Nd4j.getEnvironment().maxThreads() < threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
      }
      if (threads > blasThreads) {
        blasThreads = threads;
        Nd4j.factory().blas().setMaxThreads(threads);
      }
    }
  }

  /** OpenBLAS's process-wide thread count, once set here: the largest count asked for. */
  public static synchronized int blasThreads() {
    return blasThreads;
  }

  /** The GEMM thread count in effect for the calling thread. */
  public static int currentThread() {
    Nd4j.getBackend();
    return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
  }
}
