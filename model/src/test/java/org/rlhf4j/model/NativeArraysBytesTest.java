package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** An array's bytes read in place are exactly its own elements, and only dense arrays have them. */
class NativeArraysBytesTest {
  @Test
  void aViewsBytesAreItsOwnElementsInPlaceAndLittleEndian() {
    INDArray parent = Nd4j.linspace(DataType.FLOAT, 1, 600, 1).reshape(20, 30);
    INDArray rows = parent.get(NDArrayIndex.interval(5, 7), NDArrayIndex.all()); // from 151
    ByteBuffer bytes = NativeArrays.bytesInPlace(rows);
    assertEquals(0, bytes.position());
    assertEquals(60 * Float.BYTES, bytes.remaining());
    assertEquals(ByteOrder.LITTLE_ENDIAN, bytes.order());
    assertEquals(151f, bytes.getFloat(0));
    assertEquals(210f, bytes.getFloat(59 * Float.BYTES));

    rows.putScalar(0, 3, -1f); // read in place, not a copy
    assertEquals(-1f, bytes.getFloat(3 * Float.BYTES));

    INDArray row = rows.get(NDArrayIndex.interval(1, 2), NDArrayIndex.all()); // a view of a view
    assertEquals(181f, NativeArrays.bytesInPlace(row).getFloat(0));
    assertEquals(30 * Float.BYTES, NativeArrays.bytesInPlace(row).remaining());

    INDArray doubles = Nd4j.linspace(DataType.DOUBLE, 1, 12, 1).reshape(3, 4);
    assertEquals(12.0, NativeArrays.bytesInPlace(doubles).getDouble(11 * Double.BYTES));
  }

  @Test
  void emptyArraysAndArraysWhoseElementsAreNotConsecutiveHaveNone() {
    INDArray matrix = Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape(3, 4);
    assertNull(NativeArrays.bytesInPlace(matrix.transpose()));
    assertNull(NativeArrays.bytesInPlace(
        matrix.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3))));
    assertNull(NativeArrays.bytesInPlace(Nd4j.create(DataType.FLOAT, 2, 0)));
  }
}
