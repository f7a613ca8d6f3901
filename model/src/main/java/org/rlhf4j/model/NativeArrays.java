package org.rlhf4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Frees ND4J arrays' native memory when their owner is done with them, so that memory does not
 * wait for the GC to collect the Java wrappers (DESIGN.md: it then climbs to JavaCPP's cap).
 */
public final class NativeArrays {
  private NativeArrays() {}

  /** Closes each array that owns its buffer; nulls and views are skipped. */
  public static void release(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && !a.wasClosed() && a.closeable()) {
        a.close();
      }
    }
  }
}
