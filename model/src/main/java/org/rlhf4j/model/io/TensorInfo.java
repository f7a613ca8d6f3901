package org.rlhf4j.model.io;

import java.util.List;
import java.util.Objects;

/**
 * One tensor's header entry: its name, element type, shape and where its bytes lie, as offsets
 * relative to the first byte after the header ({@code begin} inclusive, {@code end} exclusive).
 */
public record TensorInfo(String name, DType dtype, List<Long> shape, long begin, long end) {
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = List.copyOf(shape);
  }

  /** The shape as ND4J wants it; empty for a scalar. */
  public long[] shapeArray() {
    return shape.stream().mapToLong(Long::longValue).toArray();
  }

  /** The product of the dimensions; 1 for a scalar. */
  public long elementCount() {
    long count = 1;
    for (long dimension : shape) {
      count *= dimension;
    }
    return count;
  }

  /** Bytes the data occupies in the file. */
  public long byteLength() {
    return end - begin;
  }
}
