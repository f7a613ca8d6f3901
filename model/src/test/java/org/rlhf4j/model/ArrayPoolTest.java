package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A released array is handed out again for the same shape, so a warm step makes no new ND4J
 * arrays (each leaves native shape information that only the collector frees); another shape
 * of the same length gets the same memory under a new array.
 */
class ArrayPoolTest {
  @Test
  void aReleasedArrayComesBackForItsShapeAndItsMemoryForAnother() {
    ArrayPool pool = new ArrayPool();
    INDArray first = pool.take(DataType.FLOAT, 6, 35);
    first.assign(3);
    pool.give(first);
    INDArray again = pool.take(DataType.FLOAT, 6, 35);
    assertSame(first, again);
    assertEquals(1, pool.allocations());
    pool.give(again);
    INDArray other = pool.take(DataType.FLOAT, 35, 6);
    assertNotSame(first, other);
    assertSame(first.data(), other.data(), "the same buffer under the new shape");
    assertArrayEquals(new long[] {35, 6}, other.shape());
    assertEquals(3f, other.getFloat(34, 5));
    assertEquals(1, pool.allocations());
    pool.give(other);
    assertSame(other, pool.take(DataType.FLOAT, 35, 6), "the array it was last returned as");
  }
}
