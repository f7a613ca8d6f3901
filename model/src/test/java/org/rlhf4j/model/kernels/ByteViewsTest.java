package org.rlhf4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A buffer's view is made once, reads and writes its memory, and is never another buffer's. */
class ByteViewsTest {
  @Test
  void aBufferKeepsOneViewOfItsOwnMemory() {
    INDArray a = Nd4j.linspace(DataType.FLOAT, 1, 300, 1);
    ByteBuffer first = ByteViews.of(a.data());
    assertSame(first, ByteViews.of(a.data()));
    assertEquals(17f, first.getFloat(16 * Float.BYTES));
    first.putFloat(5 * Float.BYTES, -2f);
    assertEquals(-2f, a.getFloat(5));
  }

  @Test
  void manyBuffersEachGetTheirOwnView() {
    // more buffers than the table has slots, so slots are shared and entries replaced
    INDArray[] arrays = new INDArray[3000];
    for (int i = 0; i < arrays.length; i++) {
      arrays[i] = Nd4j.valueArrayOf(new long[] {4}, (float) i, DataType.FLOAT);
    }
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < arrays.length; i++) {
        ByteBuffer view = ByteViews.of(arrays[i].data());
        assertEquals((float) i, view.getFloat(3 * Float.BYTES), "buffer " + i);
      }
    }
    assertNotSame(ByteViews.of(arrays[0].data()), ByteViews.of(arrays[1].data()));
  }

  @Test
  void aClosedBufferIsRefusedNotReadThroughItsOldView() {
    INDArray a = Nd4j.valueArrayOf(new long[] {8}, 1f, DataType.FLOAT);
    DataBuffer buffer = a.data();
    ByteViews.of(buffer);
    a.close();
    assertThrows(IllegalStateException.class, () -> ByteViews.of(buffer));
  }
}
