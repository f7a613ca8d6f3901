package org.rlhf4j.model.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A dense float32 INDArray's native memory as a little-endian ByteBuffer plus the byte offset of
 * its first element, for Vector API loops. No copy is made, and the buffer does not keep the array
 * alive: the caller keeps the array reachable until its last access (VectorKernels' keepAlive).
 */
final class FloatMemory {
  final ByteBuffer bytes;
  final long base; // byte offset of element 0
  private FloatBuffer floats; // a view for bulk copies, made on first use

  private FloatMemory(ByteBuffer bytes, long base) {
    this.bytes = bytes;
    this.base = base;
  }

  static FloatMemory of(INDArray a) {
    if (a.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("expected float32, got " + a.dataType());
    }
    return new FloatMemory(ByteViews.of(DirectMemory.buffer(a)), DirectMemory.offset(a) * Float.BYTES);
  }

  /** {@code n} floats of zeroed off-heap scratch, owned by no INDArray. */
  static FloatMemory direct(int n) {
    ByteBuffer bytes = ByteBuffer.allocateDirect(n * Float.BYTES);
    return new FloatMemory(bytes.order(ByteOrder.LITTLE_ENDIAN), 0);
  }

  /** Byte index of element {@code i}. */
  int at(long i) {
    return (int) (base + i * Float.BYTES);
  }

  float get(long i) {
    return bytes.getFloat(at(i));
  }

  void put(long i, float v) {
    bytes.putFloat(at(i), v);
  }

  /** {@code dst[to .. to+n) = this[i .. i+n)}, as one block copy. */
  void get(long i, float[] dst, int to, int n) {
    floats().get(at(i) / Float.BYTES, dst, to, n);
  }

  /** {@code this[i .. i+n) = src[from .. from+n)}, as one block copy. */
  void put(long i, float[] src, int from, int n) {
    floats().put(at(i) / Float.BYTES, src, from, n);
  }

  /** {@code this[to .. to+n) = this[from .. from+n)}, as one block copy. */
  void copy(long from, long to, long n) {
    bytes.put(at(to), bytes, at(from), Math.toIntExact(n * Float.BYTES));
  }

  private FloatBuffer floats() {
    if (floats == null) {
      floats = bytes.asFloatBuffer();
    }
    return floats;
  }
}
