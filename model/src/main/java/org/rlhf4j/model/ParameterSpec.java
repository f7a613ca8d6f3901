package org.rlhf4j.model;

import java.util.Arrays;

/** One named tensor's place in a {@link ParameterLayout}: shape and offset in the flat buffer. */
public record ParameterSpec(String name, long[] shape, long offset) {
  public ParameterSpec {
    shape = shape.clone();
  }

  /** Number of elements. */
  public long size() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParameterSpec p && p.name.equals(name) && Arrays.equals(p.shape, shape)
        && p.offset == offset;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + "@" + offset;
  }
}
