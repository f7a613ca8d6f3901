package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Zeroing sets exactly the array's own elements, whether it owns its buffer or is a view. */
class NativeArraysZeroTest {
  @Test
  void aWholeArrayIsZeroedAndAViewLeavesItsParentsOtherElements() {
    INDArray whole = Nd4j.linspace(DataType.FLOAT, 1, 600, 1).reshape(20, 30);
    assertEquals(0.0, NativeArrays.zero(whole).sumNumber().doubleValue());

    INDArray parent = Nd4j.linspace(DataType.FLOAT, 1, 600, 1).reshape(20, 30);
    INDArray rows = parent.get(NDArrayIndex.interval(5, 10), NDArrayIndex.all()); // offset 150
    NativeArrays.zero(rows);
    assertEquals(0.0, rows.sumNumber().doubleValue());
    assertEquals(150f, parent.getFloat(4, 29), "the row before the view");
    assertEquals(301f, parent.getFloat(10, 0), "the row after the view");

    INDArray pooled = ArrayPool.SHARED.take(DataType.DOUBLE, 7, 3).assign(5);
    NativeArrays.release(pooled);
    INDArray again = ArrayPool.SHARED.zeros(DataType.DOUBLE, 7, 3); // the same buffer, reused
    assertEquals(0.0, again.sumNumber().doubleValue());
    NativeArrays.release(again);
  }
}
