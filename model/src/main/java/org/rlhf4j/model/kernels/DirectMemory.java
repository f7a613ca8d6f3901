package org.rlhf4j.model.kernels;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.NativeArrays;

/**
 * Element access to an array's native memory for the loops ND4J has no correct op for.
 *
 * <p>Why: a view's {@code data()} in ND4J M2.1 indexes from the parent's start yet bounds-checks
 * against the view's length, and {@code ScatterAdd} drops updates for repeated indices (measured
 * here). So loops address the parent buffer with the view's offset.
 */
final class DirectMemory {
  private DirectMemory() {}

  /** The buffer that {@link #offset} indexes into. */
  static DataBuffer buffer(INDArray a) {
    requireDense(a);
    DataBuffer original = a.data().originalDataBuffer();
    return original != null ? original : a.data();
  }

  /** Index of the array's first element in {@link #buffer}. */
  static long offset(INDArray a) {
    return a.offset();
  }

  static void requireDense(INDArray a) {
    if (!isDenseC(a)) {
      throw new IllegalArgumentException("expected a dense c-order array, got shape "
          + java.util.Arrays.toString(a.shape()) + " stride " + java.util.Arrays.toString(a.stride()));
    }
  }

  static boolean isDenseC(INDArray a) {
    return NativeArrays.isDenseC(a);
  }
}
