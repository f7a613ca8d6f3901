package org.rlhf4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ND4J arrays' native memory handled directly: freed when their owner is done with them (so it
 * does not wait for the GC to collect the Java wrappers and climb to JavaCPP's cap, DESIGN.md),
 * zeroed, written and read in place.
 */
public final class NativeArrays {
  private NativeArrays() {}

  /**
   * Returns each pooled array to {@link ArrayPool#SHARED} and closes each other array that owns
   * its buffer; nulls and views are skipped.
   */
  public static void release(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && !a.wasClosed() && !ArrayPool.SHARED.give(a) && a.closeable()) {
        a.close();
      }
    }
  }

  /**
   * Copies {@code values} into the dense array {@code a} from its element {@code at} on, one bulk
   * copy for float32 (a {@code DataBuffer.put} per element costs ~10 ns).
   */
  public static void write(INDArray a, long at, float[] values) {
    long start = a.offset() + at;
    if (a.dataType() == DataType.FLOAT && a.data().asNio() != null) {
      a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer().put((int) start, values);
      return;
    }
    for (int i = 0; i < values.length; i++) {
      a.data().put(start + i, values[i]);
    }
  }

  /**
   * Sets every element of {@code a} to 0 and returns it: one memset when {@code a} is its whole
   * buffer, else ND4J's assign. Why: the assign op took 6× as long as a memset, 20 µs of it
   * fixed (23 µs against 1 µs at 64 × 128; 171 against 29 µs at 1536 × 512); the backward zeroes
   * seven arrays per block.
   */
  public static INDArray zero(INDArray a) {
    if (!a.isView() && a.offset() == 0 && a.data().length() == a.length()) {
      Pointer.memset(a.data().addressPointer(), 0, a.length() * a.data().getElementSize());
    } else {
      a.assign(0);
    }
    return a;
  }

  /**
   * The bytes of a dense c-order array's elements in its native memory, in place (position 0 at
   * its first element; they change as the array does), or null when the array is empty, not dense,
   * on a big-endian machine or in a buffer too large for one {@link ByteBuffer}. Why: a copy per
   * read ({@code dup}) put a fresh native allocation and a heap array on every checkpoint's
   * tensors, about a quarter of a checkpoint's time on the PPO learner's thread (BENCHMARKS.md,
   * session 27).
   */
  public static ByteBuffer bytesInPlace(INDArray a) {
    if (a.isEmpty() || !isDenseC(a) || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      return null;
    }
    // a view's own data() starts at its parent's start: address the parent at the offset
    DataBuffer parent = a.data().originalDataBuffer();
    DataBuffer data = parent != null ? parent : a.data();
    long width = a.dataType().width();
    long from = a.offset() * width;
    long to = from + a.length() * width;
    if (data.length() * width > Integer.MAX_VALUE || to > data.length() * width) {
      return null;
    }
    ByteBuffer nio = data.asNio();
    if (nio == null) {
      return null;
    }
    return nio.duplicate().limit((int) to).position((int) from).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Whether the array's elements lie in row-major order, one after the other, in its buffer. */
  public static boolean isDenseC(INDArray a) {
    long expected = 1;
    for (int i = a.rank() - 1; i >= 0; i--) {
      if (a.size(i) != 1 && a.stride(i) != expected) {
        return false;
      }
      expected *= a.size(i);
    }
    return true;
  }
}
