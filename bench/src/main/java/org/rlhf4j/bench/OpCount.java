package org.rlhf4j.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/** How many ND4J ops a piece of work dispatches, and what one dispatch costs on its own. */
final class OpCount {
  private OpCount() {}

  /** Ops dispatched by one run of {@code work}, counted by ND4J's profiler. */
  static long of(Runnable work) {
    OpExecutioner executioner = Nd4j.getExecutioner();
    OpExecutioner.ProfilingMode before = executioner.getProfilingMode();
    OpProfiler.getInstance().reset();
    executioner.setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
    try {
      work.run();
      return OpProfiler.getInstance().getInvocationsCount();
    } finally {
      executioner.setProfilingMode(before);
      OpProfiler.getInstance().reset();
    }
  }

  /** Microseconds per op on a one-element array: the fixed cost of a dispatch. */
  static double microsPerTinyOp() {
    INDArray x = Nd4j.zeros(DataType.FLOAT, 1);
    for (int i = 0; i < 20_000; i++) {
      x.addi(1.0);
    }
    int n = 50_000;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      x.addi(1.0);
    }
    return (System.nanoTime() - start) / 1e3 / n;
  }
}
