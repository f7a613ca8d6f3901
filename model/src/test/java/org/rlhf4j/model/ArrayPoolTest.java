package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.model.kernels.VectorKernels;

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

  @Test
  void aShorterBatchOfTheSameSizeClassTakesTheLongerOnesMemoryAsADenseArray() {
    ArrayPool pool = new ArrayPool();
    INDArray longer = pool.take(DataType.FLOAT, 100, 1000);
    longer.assign(1);
    long address = longer.data().address();
    pool.give(longer);
    INDArray shorter = pool.take(DataType.FLOAT, 99, 1000);
    assertEquals(1, pool.allocations(), "no new buffer for a batch a row shorter");
    assertEquals(address, shorter.data().address());
    assertFalse(shorter.isView());
    assertEquals(99_000, shorter.data().length());
    assertEquals(1f, shorter.getFloat(98, 999));

    // ND4J's ops and the vector kernels see a dense array of its own length
    shorter.assign(2);
    INDArray ones = Nd4j.ones(DataType.FLOAT, 99, 1000);
    new VectorKernels().addInPlace(shorter, ones);
    INDArray product = shorter.mmul(Nd4j.ones(DataType.FLOAT, 1000, 2));
    assertEquals(3000f, product.getFloat(98, 1));
    assertEquals(3.0 * 99_000, shorter.sumNumber().doubleValue());
    NativeArrays.zero(shorter);
    assertEquals(0.0, shorter.sumNumber().doubleValue());

    pool.give(shorter);
    assertTrue(pool.holds(shorter));
    INDArray whole = pool.take(DataType.FLOAT, 100, 1000);
    assertEquals(1, pool.allocations());
    assertEquals(0f, whole.getFloat(98, 999));
    assertEquals(1f, whole.getFloat(99, 0), "memory past the shorter array left alone");
    pool.give(whole);
  }

  @Test
  void closingAShorterArrayLeavesThePooledMemoryUnderItAlone() {
    ArrayPool pool = new ArrayPool();
    pool.give(pool.take(DataType.FLOAT, 100, 1000));
    INDArray shorter = pool.take(DataType.FLOAT, 99, 1000);
    shorter.assign(7);
    pool.give(shorter);
    // as the collector does with a released array's wrapper: its buffer does not own the memory
    shorter.close();
    INDArray whole = pool.take(DataType.FLOAT, 100, 1000);
    assertEquals(1, pool.allocations());
    assertEquals(7.0 * 99_000, whole.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 99),
        org.nd4j.linalg.indexing.NDArrayIndex.all()).sumNumber().doubleValue());
    pool.give(whole);
  }

  @Test
  void sizeClassesAreAnEighthOfAnOctaveApartAndOnlyForLargeFloatBuffers() {
    assertEquals(1000, ArrayPool.capacity(DataType.FLOAT, 1000));
    assertEquals(65_536, ArrayPool.capacity(DataType.FLOAT, 65_536));
    assertEquals(73_728, ArrayPool.capacity(DataType.FLOAT, 65_537), "9/8 of 2^16");
    assertEquals(1 << 21, ArrayPool.capacity(DataType.FLOAT, (1 << 21) - 5));
    long big = ArrayPool.SIZE_CLASSES_FROM + 1;
    assertEquals(big, ArrayPool.capacity(DataType.DOUBLE, big));
    java.util.Set<Long> octave = new java.util.TreeSet<>();
    for (long n = (1 << 20) + 1; n <= 1 << 21; n += 97) {
      octave.add(ArrayPool.capacity(DataType.FLOAT, n));
    }
    assertEquals(8, octave.size(), "classes in (2^20, 2^21]: " + octave);
    long previous = 0;
    for (long n = big; n < 50 * big; n += 977) {
      long c = ArrayPool.capacity(DataType.FLOAT, n);
      assertTrue(c >= n && c <= n + n / 8, n + " -> " + c);
      assertTrue(c >= previous, "classes grow with the length");
      previous = c;
    }
  }

  @Test
  void aRequestWithoutAFreeBufferOfItsClassTakesTheSmallestLargerOneWithinAnOctave() {
    ArrayPool pool = new ArrayPool();
    INDArray octave = pool.take(DataType.FLOAT, 2 << 20); // 2^21, class 2^21
    INDArray small = pool.take(DataType.FLOAT, (1 << 20) + 1000); // class 9/8 of 2^20
    INDArray tooSmall = pool.take(DataType.FLOAT, 1 << 20);
    pool.give(octave);
    pool.give(small);
    pool.give(tooSmall);
    assertEquals(3, pool.allocations());
    // 1.2 · 2^20 is class 10/8 of 2^20: no free buffer of it; 2^21 (six classes up) serves it
    // rather than the 9/8 one, which is too short
    INDArray a = pool.take(DataType.FLOAT, 1_258_000);
    assertEquals(3, pool.allocations());
    assertEquals(octave.data().address(), a.data().address());
    assertEquals(1_258_000, a.length());
    // 1,049,000 is class 9/8 of 2^20: its own class's buffer, not the longer one now free too
    pool.give(a);
    INDArray b = pool.take(DataType.FLOAT, 1_049_000);
    assertEquals(small.data().address(), b.data().address());
    a = pool.take(DataType.FLOAT, 1_258_000);
    assertEquals(octave.data().address(), a.data().address());
    // none free in the nine classes from its own: a new buffer of its class
    INDArray c = pool.take(DataType.FLOAT, 1_100_000);
    assertEquals(4, pool.allocations());
    pool.give(a);
    pool.give(b);
    pool.give(c);
    // beyond an octave a longer buffer is not used, and small lengths are matched exactly
    ArrayPool other = new ArrayPool();
    other.give(other.take(DataType.FLOAT, 4 << 20));
    other.give(other.take(DataType.FLOAT, 2000));
    other.give(other.take(DataType.DOUBLE, 1 << 21));
    other.take(DataType.FLOAT, (1 << 21) - 300_000); // class 14/8 of 2^20: 2^22 is ten up
    other.take(DataType.FLOAT, 1999);
    other.take(DataType.DOUBLE, (1 << 21) - 1);
    assertEquals(6, other.allocations());
  }
}
